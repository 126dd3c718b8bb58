// The package ships no types; this is the part Medic uses.
declare module 'ml-isolation-forest' {
  export class IsolationForest {
    constructor(options?: { nEstimators?: number });
    train(rows: number[][]): void;
    predict(rows: number[][]): number[];
  }
}
