/**
 * The cell kinds, as the Rust core's one table defines them (`crates/recurrent-core/src/rnn/
 * kind.rs`, read through the generated `cell-kinds.generated.ts`). Every fact the package needs
 * about a kind comes from its row: the layer vocabulary (`lstm({ variant })`), the CLI's
 * choices, gate counts, the forget gate's block, whether there is a cell state. The
 * user-facing spellings of a variant are derived here and nowhere else: the row's snake_case
 * `no_forget` is `noForget` as a layer option and `no-forget` on the command line.
 */
import { CELL_KIND_ROWS } from './cell-kinds.generated.js';

type Row = (typeof CELL_KIND_ROWS)[number];

/** The equations a stack computes: one canonical id per kind. */
export type CellKind = Row['id'];

/** The layer factory a kind belongs to. */
export type CellFamily = Row['family'];

/** snake_case to camelCase, as TypeScript options spell it. */
type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** A family's variants as its layer option spells them (`'noForget'`). */
export type VariantOption<F extends CellFamily> = Camel<Extract<Row, { family: F }>['variant']>;

/** Every kind id, in the table's order. */
export const CELL_KINDS: readonly CellKind[] = CELL_KIND_ROWS.map((r) => r.id);

const BY_ID: ReadonlyMap<string, Row> = new Map(CELL_KIND_ROWS.map((r) => [r.id, r]));

/** The row of `kind` (every kind id has one: the type says so). */
export function cellKindRow(kind: CellKind): Row {
  return BY_ID.get(kind)!;
}

/** Whether the kind carries a cell state `c` beside `h` (the LSTM family). */
export function hasCellState(kind: CellKind): boolean {
  return cellKindRow(kind).cellState;
}

/** Gate blocks per direction: rows of `weight_ih` are `gates * hiddenSize`. */
export function gateCount(kind: CellKind): number {
  return Math.max(1, cellKindRow(kind).gates.length);
}

/** The block (0-based, in units of H rows) of the gate named `gate`, or -1 when the kind has none. */
export function gateBlock(kind: CellKind, gate: string): number {
  return (cellKindRow(kind).gates as readonly string[]).indexOf(gate);
}

/** `no_forget` as a TypeScript option: `noForget`. */
export function optionSpelling(variant: string): string {
  return variant.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `no_forget` as a command-line value: `no-forget`. */
export function cliSpelling(variant: string): string {
  return variant.replace(/_/g, '-');
}

/** The rows of `family`, in the table's order. */
function rowsOf(family: CellFamily): Row[] {
  return CELL_KIND_ROWS.filter((r) => r.family === family);
}

/** The variants of `family` as its layer option spells them, the default (the table's first) first. */
export function variantOptions<F extends CellFamily>(family: F): readonly VariantOption<F>[] {
  return rowsOf(family).map((r) => optionSpelling(r.variant) as VariantOption<F>);
}

/** The variants of `family` as the command line spells them, the default first. */
export function variantCliNames(family: CellFamily): readonly string[] {
  return rowsOf(family).map((r) => cliSpelling(r.variant));
}

/** The kind of `family` whose variant is spelled `variant` (option or command-line spelling). */
export function kindOfVariant(family: CellFamily, variant: string): CellKind | undefined {
  return rowsOf(family).find((r) => optionSpelling(r.variant) === variant || cliSpelling(r.variant) === variant || r.variant === variant)?.id;
}

/** The variant of `kind` as its layer option spells it. */
export function variantOption(kind: CellKind): string {
  return optionSpelling(cellKindRow(kind).variant);
}

/** What PyTorch's module computes differently for `kind`, or `undefined` when it computes the same. */
export function torchDifference(kind: CellKind): string | undefined {
  return cellKindRow(kind).torchDiffers ?? undefined;
}
