/** A network stage over a layer runtime: its name, parameters and memory are the runtime's. */
import type { Param, ParamGroup } from '../model/param.js';

/** What a layer runtime (`model/*-layer.ts`) has that its network stage shows as it is. */
export interface Runtime {
  readonly name: string;
  readonly params: readonly Param[];
  readonly groups: readonly ParamGroup[];
  dispose(): void;
}

export abstract class Wrapped<R extends Runtime> {
  constructor(readonly layer: R) {}

  get name(): string {
    return this.layer.name;
  }

  get params(): readonly Param[] {
    return this.layer.params;
  }

  get groups(): readonly ParamGroup[] {
    return this.layer.groups;
  }

  dispose(): void {
    this.layer.dispose();
  }
}
