/**
 * The parts of CPython's `random` module that NB201's generator used to order `meta_archs`:
 * `random.seed(int)` and `random.shuffle(list)`, bit for bit.
 *
 * Why port them: the official index of a cell (row of `meta_archs`) is the position it got from
 * `random.seed(88); random.shuffle(archs)`, so the only way to map arch <-> index without the
 * 2 GB benchmark file is to replay that shuffle.
 *
 * - Generator: MT19937 (Matsumoto & Nishimura), seeded like CPython's `random_seed`: the absolute
 *   value of the int split into 32-bit words (least significant first), fed to `init_by_array`.
 * - `getrandbits(k)` for k <= 32: the top k bits of one 32-bit output.
 * - `_randbelow(n)`: k = bit length of n; draw getrandbits(k) until it is < n (rejection sampling).
 * - `shuffle(x)`: for i from len-1 down to 1, swap x[i] with x[_randbelow(i + 1)] (Python 3's
 *   Fisher-Yates; Python 2's float-based shuffle gives a different order).
 */
export class PythonRandom {
  private readonly mt = new Uint32Array(624);
  private mti = 625;

  /**
   * `random.seed(seed)` for an integer seed (|seed| < 2^53), or MT19937's `init_by_array(key)`
   * for an explicit array of 32-bit words (what CPython derives from a big integer seed).
   */
  constructor(seed: number | readonly number[]) {
    if (typeof seed !== 'number') {
      if (seed.length === 0) throw new RangeError('init_by_array needs at least one key word');
      this.initByArray(seed.map((w) => w >>> 0));
      return;
    }
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    let n = Math.abs(seed);
    const key: number[] = [];
    do {
      key.push(n % 0x100000000);
      n = Math.floor(n / 0x100000000);
    } while (n > 0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, modulo 2^32, without losing bits to float rounding.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = 624;
  }

  private initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= 624) {
        mt[0] = mt[623]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= 624) {
        mt[0] = mt[623]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  /** One 32-bit output (`genrand_uint32`). */
  uint32(): number {
    const mt = this.mt;
    if (this.mti >= 624) {
      for (let kk = 0; kk < 624; kk++) {
        const y = (mt[kk]! & 0x80000000) | (mt[(kk + 1) % 624]! & 0x7fffffff);
        mt[kk] = mt[(kk + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.mti = 0;
    }
    let y = mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random.getrandbits(k)` for 1 <= k <= 32. */
  getrandbits(k: number): number {
    if (!(k >= 1 && k <= 32)) throw new RangeError(`getrandbits supports 1..32 bits here, got ${k}`);
    return this.uint32() >>> (32 - k);
  }

  /** `random._randbelow(n)` for 1 <= n < 2^32. */
  randbelow(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n < 0x100000000)) throw new RangeError(`randbelow needs 1 <= n < 2^32, got ${n}`);
    const k = 32 - Math.clz32(n); // n.bit_length()
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `random.shuffle(items)` in place. */
  shuffle<T>(items: T[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
  }

  /** `random.random()`: 53-bit float from two outputs, as CPython's `genrand_res53`. */
  random(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}
