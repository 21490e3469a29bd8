/** Compares two Redis stream ids (`<ms>-<seq>`): negative, zero or positive like a sort comparator. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = '0', aSeq = '0'] = a.split('-');
  const [bMs = '0', bSeq = '0'] = b.split('-');
  const byMs = Number(aMs) - Number(bMs);
  return byMs !== 0 ? byMs : Number(aSeq) - Number(bSeq);
}

export const STREAM_START = '0-0';
