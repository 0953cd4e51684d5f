/**
 * The one CEL environment of the broker: the standard library plus the strings
 * extension, and the single variable `claims` (the assertion's claims as a map).
 */
import { celEnv, type CelEnv } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';

export const CEL_ENVIRONMENT: CelEnv = celEnv({ funcs: strings });
