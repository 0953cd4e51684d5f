import { Textarea, type TextareaProps } from '@mantine/core';

/** A field for JSON or CEL: fixed-width, growing with its text. */
export function CodeInput(props: TextareaProps) {
  return <Textarea autosize styles={{ input: { fontFamily: 'monospace' } }} {...props} />;
}
