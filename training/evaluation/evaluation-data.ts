// Where `medic anomaly evaluate` reads its labelled data, and what it says when the data is not there.
// The data sets are public but not shipped with Medic, so a user fetches them into a folder of their own:
// this module states the layout asd.ts and nab.ts read, and the sources, once, for the help and the
// errors alike (README.md, Anomaly detection, says the same with a recipe).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Relative to the current directory: where this repository's maintainers keep the data, beside the
 * checkout. Kept as the default so their runs need no flag; stated in the help and in every error, since
 * nobody else has that folder.
 */
export const DEFAULT_DATA_DIR = '../shared/data';

const ASD_URL = 'https://github.com/zhhlee/InterFusion';
const NAB_URL = 'https://github.com/numenta/NAB';
export const ASD_SOURCE = `the Application Server Dataset from InterFusion (KDD 2021), ${ASD_URL}, MIT licence`;
export const NAB_SOURCE = `Numenta's Anomaly Benchmark, ${NAB_URL}, MIT licence (older releases: AGPL-3.0)`;

/** The expected layout in one line, for error messages. */
export const ASD_LAYOUT_LINE = 'expected asd/train/omi-N.txt, asd/test/omi-N.txt, asd/test_label/omi-N.txt for each server N';
export const NAB_LAYOUT_LINE = 'expected nab-dev/data/<category>/<file>.csv and nab-dev/labels.json';

/** The "Data" section of `medic anomaly evaluate --help`: sources, licences, the exact layout under DIR. */
export const DATA_HELP = `Data: public data sets, not shipped with Medic; fetch them into DIR (README.md, Anomaly detection,
has a recipe). What is read under DIR:
  asd/      the Application Server Dataset (ASD: 12 servers, 19 metrics, 5-minute samples), published
            with InterFusion (KDD 2021) at ${ASD_URL}, MIT licence.
            For each server N:
    train/omi-N.txt        training rows: 19 comma-separated numbers per line, no header, no timestamps
    test/omi-N.txt         test rows, the same format
    test_label/omi-N.txt   one 0 or 1 per test row (1: anomalous)
            InterFusion publishes them as NumPy arrays (data/processed/omi-N_train.pkl, omi-N_test.pkl,
            omi-N_test_label.pkl, N = 1 to 12): write each as comma-separated text.
  nab-dev/  optional, evaluated first when present: Numenta's Anomaly Benchmark (NAB) at
            ${NAB_URL}, MIT licence (older releases: AGPL-3.0).
    data/<category>/<file>.csv   NAB's data/ files as they are (header timestamp,value)
    labels.json                  NAB's labels/combined_windows.json, renamed
            The NAB references printed are for its artificialNoAnomaly, artificialWithAnomaly,
            realAdExchange, realTraffic and realTweets categories (34 files).`;

export interface EvaluationData {
  asdDir: string;
  /** Present when DIR holds nab-dev/. */
  nabDir?: string;
}

/**
 * Checks the layout under `dataDir` (absolute) before hours of training start: the data found, or one
 * message naming the path looked in, the layout expected, and where the data comes from.
 */
export function findEvaluationData(dataDir: string): EvaluationData | { problem: string } {
  const asdDir = join(dataDir, 'asd');
  const servers = txtFiles(join(asdDir, 'train'));
  if (!servers.length) return { problem: `no ASD data at ${asdDir} (${ASD_LAYOUT_LINE}): get ${ASD_SOURCE}, and pass --data DIR` };
  const missing = servers.flatMap((f) => ['test', 'test_label'].map((sub) => join(sub, f)).filter((p) => !isFile(join(asdDir, p))));
  if (missing.length) return { problem: `the ASD data at ${asdDir} is incomplete, ${missing.join(', ')} missing (${ASD_LAYOUT_LINE}): get ${ASD_SOURCE}` };
  const nabDir = join(dataDir, 'nab-dev');
  if (!existsSync(nabDir)) return { asdDir };
  const nabMissing = [!isFile(join(nabDir, 'labels.json')) && 'labels.json', !isDirectory(join(nabDir, 'data')) && 'data/'].filter((m): m is string => typeof m === 'string');
  // A half-copied nab-dev/ would otherwise fail with a bare ENOENT after nothing was evaluated.
  if (nabMissing.length) return { problem: `the NAB data at ${nabDir} is incomplete, ${nabMissing.join(', ')} missing (${NAB_LAYOUT_LINE}): get ${NAB_SOURCE}, or remove nab-dev/ to evaluate on ASD alone` };
  return { asdDir, nabDir };
}

function txtFiles(dir: string): string[] {
  return isDirectory(dir) ? readdirSync(dir).filter((f) => f.endsWith('.txt')) : [];
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
