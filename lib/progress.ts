// Progress of a long step: a bar on stderr when a person watches a terminal, plain log lines otherwise
// (CI logs, `medic train nightly`, a pipe), so a log file never fills with carriage returns.
import cliProgress from 'cli-progress';

export interface Progress {
  /** `done` of the total so far; `note` says what is being worked on. */
  update(done: number, note?: string): void;
  /** A log line while the step runs: above the bar on a terminal, so the two do not overwrite each other. */
  log(line: string): void;
  finish(note?: string): void;
}

export interface ProgressOptions {
  /** Where lines go when there is no terminal (default: stderr). */
  log?: (line: string) => void;
  /** The terminal, when there is one (default: process.stderr if it is a TTY). */
  tty?: NodeJS.WriteStream | undefined;
}

export function startProgress(label: string, total: number, o: ProgressOptions = {}): Progress {
  const tty = 'tty' in o ? o.tty : process.stderr.isTTY ? process.stderr : undefined;
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (tty && total > 0) {
    // A MultiBar of one: its log() prints above the bar and redraws it.
    const bars = new cliProgress.MultiBar({
      stream: tty, format: `${label} [{bar}] {value}/{total} {note} ({duration_formatted})`, hideCursor: true, clearOnComplete: false, barsize: 30,
    }, cliProgress.Presets.shades_classic);
    const bar = bars.create(total, 0, { note: '' });
    return {
      update: (done, note) => bar.update(done, { note: note ?? '' }),
      log: (line) => {
        bars.log(`${line}\n`);
        bars.update(); // now: a synchronous fit would otherwise hold the line until the bar's next tick
      },
      finish: (note) => {
        bar.update(total, { note: note ?? 'done' });
        bars.stop();
      },
    };
  }
  const started = Date.now();
  // A line per tenth of the work at most: enough to see it moving, few enough to read.
  let lastTenth = -1;
  return {
    update(done, note) {
      const tenth = total > 0 ? Math.floor((done / total) * 10) : 0;
      if (tenth === lastTenth || done >= total) return;
      lastTenth = tenth;
      log(`${label}: ${done}/${total}${note ? ` ${note}` : ''}`);
    },
    log,
    finish(note) {
      log(`${label}: ${total}/${total} ${note ?? 'done'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
  };
}
