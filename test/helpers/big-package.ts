import { Readable } from 'node:stream';
import yazl from 'yazl';

/**
 * Large GoRules release zips for the package resource tests: decision tables whose rules repeat
 * every `period` rows, so the zip stays small while its JSON is huge (a period of 100 rows
 * compresses about 130x, like the 3.7 MB package that expanded to 480 MiB). Every table is a
 * valid graph, so a package within the limits applies.
 */
const HEAD =
  '{"nodes":[{"id":"in","type":"inputNode","name":"Request","position":{"x":0,"y":0}},' +
  '{"id":"dt","type":"decisionTableNode","name":"Table","position":{"x":0,"y":0},"content":{"hitPolicy":"first",' +
  '"inputs":[{"id":"in1","name":"Amount","field":"amount"}],' +
  '"outputs":[{"id":"out1","name":"Price","field":"price"},{"id":"out2","name":"Group","field":"group"}],"rules":[';
const TAIL =
  ']}},{"id":"out","type":"outputNode","name":"Response","position":{"x":0,"y":0}}],' +
  '"edges":[{"id":"e1","sourceId":"in","targetId":"dt"},{"id":"e2","sourceId":"dt","targetId":"out"}]}';

function rule(i: number, period: number): string {
  const j = i % period;
  return `{"_id":"r-${j}","in1":">= ${j * 7}","out1":"${(j * 13) % 9973}","out2":"\\"G_${j % 97}\\""}`;
}

/** One decision table of about `bytes` bytes of JSON, produced in chunks (never held whole). */
function tableStream(bytes: number, period: number): Readable {
  let i = 0;
  let size = 0;
  let state: 'head' | 'rules' | 'done' = 'head';
  return new Readable({
    read() {
      if (state === 'head') {
        state = 'rules';
        return void this.push(HEAD);
      }
      if (state === 'done') return void this.push(null);
      const rows: string[] = [];
      while (size < bytes && rows.length < 2000) {
        const text = (i === 0 ? '' : ',') + rule(i++, period);
        rows.push(text);
        size += text.length;
      }
      if (size >= bytes) state = 'done';
      this.push(rows.join('') + (state === 'done' ? TAIL : ''));
    },
  });
}

/** A GoRules zip of `files` decision tables (`rules/t<i>.json`) of about `mibEach` MiB of JSON each. */
export function bigGoRulesZip(files: number, mibEach: number, period = 100): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (let f = 0; f < files; f++) zip.addReadStream(tableStream(mibEach * 1024 * 1024, period), `rules/t${f}.json`);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}
