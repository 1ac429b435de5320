import path from 'node:path';

/**
 * Where the shared JDM corpus may be: VERDICT_JDM_CORPUS when set (and then only there), else
 * ../shared/jdm-corpus next to the checkout, else the workplace's /work/shared/jdm-corpus. It is
 * read in place, never copied.
 */
export const corpusCandidates = (repoRoot: string): string[] =>
  (process.env.VERDICT_JDM_CORPUS ? [process.env.VERDICT_JDM_CORPUS] : [path.join(repoRoot, '../shared/jdm-corpus'), '/work/shared/jdm-corpus']).map((c) =>
    path.resolve(c),
  );
