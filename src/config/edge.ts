// Edge emulator section of the configuration (SPEC §4). Owned by src/edge; this file
// only describes and validates the shape, with CloudFront's defaults.
import { z } from 'zod';

export const edgeConfigSchema = z
  .object({
    /** Origin URL used when no distribution origins are configured explicitly. */
    origin: z.string().url().optional(),
  })
  .strict();

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;
