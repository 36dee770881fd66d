// Redis's pqsort (pqsort.c: Bentley and McIlroy's quicksort, from NetBSD), ported step for step:
// it sorts only the partitions that overlap the wanted ranks, and the order it leaves equal items
// in is the order Redis replies them. SORT uses it for BY with a LIMIT, GEORADIUS / GEOSEARCH for
// COUNT below the number of points found.

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** vecswap: swaps the n elements from i with the n from j, pairwise. */
function swapRuns<T>(a: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(a, i + k, j + k);
}

/** med3: the index of the median of three. */
function median3<T>(a: T[], i: number, j: number, k: number, cmp: (x: T, y: T) => number): number {
  return cmp(a[i], a[j]) < 0
    ? cmp(a[j], a[k]) < 0
      ? j
      : cmp(a[i], a[k]) < 0
        ? k
        : i
    : cmp(a[j], a[k]) > 0
      ? j
      : cmp(a[i], a[k]) < 0
        ? i
        : k;
}

/**
 * _pqsort over a[base, base + n), keeping ranks lrange..rrange (absolute indices) right. A part
 * of the array is sorted further unless both ends of the wanted range lie before it or both
 * after it (Redis's pointer test, in element units).
 */
export function pqsort<T>(a: T[], base: number, n: number, cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  for (;;) {
    if (n < 7) {
      for (let pm = base + 1; pm < base + n; pm++) {
        for (let pl = pm; pl > base && cmp(a[pl - 1], a[pl]) > 0; pl--) swap(a, pl, pl - 1);
      }
      return;
    }
    let pm = base + Math.floor(n / 2);
    if (n > 7) {
      let pl = base;
      let pn = base + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = median3(a, pl, pl + d, pl + 2 * d, cmp);
        pm = median3(a, pm - d, pm, pm + d, cmp);
        pn = median3(a, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = median3(a, pl, pm, pn, cmp);
    }
    swap(a, base, pm);
    let pa = base + 1;
    let pb = pa;
    let pc = base + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(a[pb], a[base])) <= 0) {
        if (r === 0) {
          swap(a, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (r = cmp(a[pc], a[base])) >= 0) {
        if (r === 0) {
          swap(a, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(a, pb, pc);
      pb++;
      pc--;
    }
    const pn = base + n;
    let r = Math.min(pa - base, pb - pa);
    swapRuns(a, base, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    swapRuns(a, pb, pn - r, r);
    r = pb - pa;
    if (r > 1 && wanted(base, r, lrange, rrange)) pqsort(a, base, r, cmp, lrange, rrange);
    r = pd - pc;
    if (r <= 1) return;
    base = pn - r;
    n = r;
    if (!wanted(base, n, lrange, rrange)) return;
  }
}

/** Whether the part [base, base + n) may hold a wanted rank (Redis's test, in element units). */
function wanted(base: number, n: number, lrange: number, rrange: number): boolean {
  return !((lrange < base && rrange < base) || (lrange >= base + n && rrange >= base + n));
}
