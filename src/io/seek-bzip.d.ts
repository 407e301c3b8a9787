// Type declarations for seek-bzip 2.0 (pure-JS bzip2 decoder; ships no types).
declare module 'seek-bzip' {
  const Bunzip: {
    /** Decodes a whole bzip2 stream (multistream: concatenated streams, as `bzip2 -c a b` makes). */
    decode(input: Uint8Array, output?: Uint8Array | number, multistream?: boolean): Buffer;
  };
  export default Bunzip;
}
