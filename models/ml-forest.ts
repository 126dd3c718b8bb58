// ml-isolation-forest behind the interface Medic's forest offers, selectable for backtests and as a
// cross-check. Not Medic's default (see README.md): it trains every tree on the whole data set, has no
// seed and no save/load, so models built with it can score but cannot be published. A new instance per
// fit: calling train() again on one appends trees that predict() never reads.
import { IsolationForest as MlIsolationForest } from 'ml-isolation-forest';

export class MlForest {
  private constructor(private readonly forest: MlIsolationForest) {}

  static fit(rows: readonly ArrayLike<number>[], trees: number): MlForest {
    const forest = new MlIsolationForest({ nEstimators: trees });
    forest.train(rows.map((r) => Array.from(r)));
    return new MlForest(forest);
  }

  score(row: ArrayLike<number>): number {
    return this.forest.predict([Array.from(row)])[0]!;
  }

  scoreAll(rows: readonly ArrayLike<number>[]): Float64Array {
    return Float64Array.from(this.forest.predict(rows.map((r) => Array.from(r))));
  }
}
