/**
 * zod shapes shared by more than one tool or resource: a certificate as the
 * tools show it, and input pieces such as a service name. Tool-specific
 * schemas live in the tool's own file.
 */
import { z } from 'zod';
import { certRecordSchema, certStatusSchema } from '../ca/types.js';

/** A certificate record plus its status at the CA's clock. Holds no key material (files.key is a path). */
export const certViewSchema = certRecordSchema.extend({
  status: certStatusSchema,
  days_left: z.number(),
});

export const serviceNameInput = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit');
