// The Application Server Dataset, per server: training rows, test rows, test labels (layout and
// source: evaluation-data.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AsdServer {
  name: string;
  train: number[][];
  test: number[][];
  labels: number[];
}

export function readMatrix(file: string): number[][] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => l.split(',').map(Number));
}

export function loadAsd(dir: string): AsdServer[] {
  if (!existsSync(join(dir, 'train'))) throw new Error(`${dir} does not look like the ASD data set (no train/ folder)`);
  return readdirSync(join(dir, 'train'))
    .filter((f) => f.endsWith('.txt'))
    .sort((a, b) => Number(a.match(/\d+/)?.[0]) - Number(b.match(/\d+/)?.[0]))
    .map((f) => ({
      name: f.replace(/\.txt$/, ''),
      train: readMatrix(join(dir, 'train', f)),
      test: readMatrix(join(dir, 'test', f)),
      labels: readFileSync(join(dir, 'test_label', f), 'utf8').split('\n').filter((l) => l.trim()).map(Number),
    }));
}
