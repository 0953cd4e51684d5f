import type { TextareaProps } from '@mantine/core';
import { CodeInput } from './CodeInput';

/** A JSON Web Key Set pasted as text ({"keys": [...]}), the inline key source of an issuer or a client. */
export function JwksInput(props: TextareaProps) {
  return <CodeInput minRows={3} maxRows={12} {...props} />;
}
