using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Renkei.Numbers;

/// <summary>
/// The eleven-digit form with the Feistel arithmetic in AVX2 vectors, four numbers per instruction:
/// once AES is pipelined, the per-number scalar arithmetic (byte swaps, the modulus, moving values
/// in and out of the AES registers) is what costs most.
/// </summary>
/// <remarks>
/// The halves A and B (below 10^6) are kept as doubles, which hold every integer below 2^53
/// exactly. y mod M is reduced in two exact steps: y = yh·2^32 + yl gives r = yh·(2^32 mod M) + yl
/// below 2^52 (for M ≤ 10^6), a double; q = floor(r/M) is then off by at most one, so A + r − qM
/// lies in [−M, 3M), and floor((c + ½)/M) is exact for an integer c that small, since no multiple
/// of M lies within ½ of it above.
/// </remarks>
internal sealed partial class Ff1Decimal
{
    private static bool VectorsSupported => Avx2.IsSupported && Avx.IsSupported;

    private const double TwoTo52 = 4503599627370496.0;
    private const ulong TwoTo52Bits = 0x4330000000000000;

    /// <summary>Four numbers' halves, one vector of doubles.</summary>
    private struct Quad
    {
        public Vector256<double> L0, L1, L2, L3;
    }

    [SkipLocalsInit]
    private void EncryptElevenDigitsInVectors(ReadOnlySpan<long> input, Span<long> output)
    {
        var keys = roundKeys!;
        Span<double> a = stackalloc double[Lanes];
        Span<double> b = stackalloc double[Lanes];
        Quad qa, qb;
        for (var start = 0; start < input.Length; start += Lanes)
        {
            var count = Math.Min(Lanes, input.Length - start);
            for (var j = 0; j < Lanes; j++)
            {
                var x = j < count ? (ulong)input[start + j] : 0;
                a[j] = x / 1_000_000;
                b[j] = x % 1_000_000;
            }
            qa.L0 = Vector256.Create<double>(a); qa.L1 = Vector256.Create<double>(a[4..]); qa.L2 = Vector256.Create<double>(a[8..]); qa.L3 = Vector256.Create<double>(a[12..]);
            qb.L0 = Vector256.Create<double>(b); qb.L1 = Vector256.Create<double>(b[4..]); qb.L2 = Vector256.Create<double>(b[8..]); qb.L3 = Vector256.Create<double>(b[12..]);
            for (var i = 0; i < Rounds; i += 2)
            {
                VectorRound(keys, whitenedInputs[i], ref qa, ref qb, 100_000, 4_294_967_296 % 100_000);
                VectorRound(keys, whitenedInputs[i + 1], ref qa, ref qb, 1_000_000, 4_294_967_296 % 1_000_000);
            }
            var r0 = qa.L0 * 1_000_000 + qb.L0;
            var r1 = qa.L1 * 1_000_000 + qb.L1;
            var r2 = qa.L2 * 1_000_000 + qb.L2;
            var r3 = qa.L3 * 1_000_000 + qb.L3;
            r0.CopyTo(a); r1.CopyTo(a[4..]); r2.CopyTo(a[8..]); r3.CopyTo(a[12..]);
            for (var j = 0; j < count; j++) output[start + j] = (long)a[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void VectorRound(Vector128<byte>[] keys, Vector128<byte> whitened, ref Quad a, ref Quad b, double modulus, ulong twoTo32ModM)
    {
        var low = Vector128.Create(whitened.AsUInt64().GetElement(0));
        var high = Vector256.Create(whitened.AsUInt64().GetElement(1));
        Inputs(b.L0, low, high, out var s0, out var s1, out var s2, out var s3);
        Inputs(b.L1, low, high, out var s4, out var s5, out var s6, out var s7);
        Inputs(b.L2, low, high, out var s8, out var s9, out var s10, out var s11);
        Inputs(b.L3, low, high, out var s12, out var s13, out var s14, out var s15);
        for (var r = 1; r < Ff1Aes256.RoundKeyCount - 1; r++)
        {
            var k = keys[r];
            s0 = X86Aes.Encrypt(s0, k); s1 = X86Aes.Encrypt(s1, k); s2 = X86Aes.Encrypt(s2, k); s3 = X86Aes.Encrypt(s3, k);
            s4 = X86Aes.Encrypt(s4, k); s5 = X86Aes.Encrypt(s5, k); s6 = X86Aes.Encrypt(s6, k); s7 = X86Aes.Encrypt(s7, k);
            s8 = X86Aes.Encrypt(s8, k); s9 = X86Aes.Encrypt(s9, k); s10 = X86Aes.Encrypt(s10, k); s11 = X86Aes.Encrypt(s11, k);
            s12 = X86Aes.Encrypt(s12, k); s13 = X86Aes.Encrypt(s13, k); s14 = X86Aes.Encrypt(s14, k); s15 = X86Aes.Encrypt(s15, k);
        }
        var last = keys[Ff1Aes256.RoundKeyCount - 1];
        var c0 = Reduce(Outputs(X86Aes.EncryptLast(s0, last), X86Aes.EncryptLast(s1, last), X86Aes.EncryptLast(s2, last), X86Aes.EncryptLast(s3, last)), a.L0, modulus, twoTo32ModM);
        var c1 = Reduce(Outputs(X86Aes.EncryptLast(s4, last), X86Aes.EncryptLast(s5, last), X86Aes.EncryptLast(s6, last), X86Aes.EncryptLast(s7, last)), a.L1, modulus, twoTo32ModM);
        var c2 = Reduce(Outputs(X86Aes.EncryptLast(s8, last), X86Aes.EncryptLast(s9, last), X86Aes.EncryptLast(s10, last), X86Aes.EncryptLast(s11, last)), a.L2, modulus, twoTo32ModM);
        var c3 = Reduce(Outputs(X86Aes.EncryptLast(s12, last), X86Aes.EncryptLast(s13, last), X86Aes.EncryptLast(s14, last), X86Aes.EncryptLast(s15, last)), a.L3, modulus, twoTo32ModM);
        a = b;
        b.L0 = c0; b.L1 = c1; b.L2 = c2; b.L3 = c3;
    }

    /// <summary>Four round inputs: the fixed low half, and the fixed high half xored with NUM(B) as its last four bytes, big-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Inputs(Vector256<double> b, Vector128<ulong> low, Vector256<ulong> high,
        out Vector128<byte> s0, out Vector128<byte> s1, out Vector128<byte> s2, out Vector128<byte> s3)
    {
        // b + 2^52 has b in its low mantissa bits; the shuffle moves its low four bytes, reversed, to the top of each lane.
        var bits = (b + Vector256.Create(TwoTo52)).AsByte();
        var placed = Avx2.Shuffle(bits, Vector256.Create(
            (byte)0x80, 0x80, 0x80, 0x80, 3, 2, 1, 0, 0x80, 0x80, 0x80, 0x80, 11, 10, 9, 8,
            0x80, 0x80, 0x80, 0x80, 3, 2, 1, 0, 0x80, 0x80, 0x80, 0x80, 11, 10, 9, 8)).AsUInt64() ^ high;
        var lower = placed.GetLower();
        var upper = placed.GetUpper();
        s0 = Sse2.UnpackLow(low, lower).AsByte();
        s1 = Sse2.UnpackHigh(low, lower).AsByte();
        s2 = Sse2.UnpackLow(low, upper).AsByte();
        s3 = Sse2.UnpackHigh(low, upper).AsByte();
    }

    /// <summary>y of four numbers: the first eight bytes of each R, read big-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Outputs(Vector128<byte> r0, Vector128<byte> r1, Vector128<byte> r2, Vector128<byte> r3)
    {
        var y = Vector256.Create(Sse2.UnpackLow(r0.AsUInt64(), r1.AsUInt64()), Sse2.UnpackLow(r2.AsUInt64(), r3.AsUInt64()));
        return Avx2.Shuffle(y.AsByte(), Vector256.Create(
            (byte)7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8,
            7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8)).AsUInt64();
    }

    /// <summary>(a + y) mod M, exactly, for four numbers (see the remarks on the class).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Reduce(Vector256<ulong> y, Vector256<double> a, double modulus, ulong twoTo32ModM)
    {
        var m = Vector256.Create(modulus);
        var inverse = Vector256.Create(1.0 / modulus);
        var folded = Avx2.Multiply(Avx2.ShiftRightLogical(y, 32).AsUInt32(), Vector256.Create(twoTo32ModM).AsUInt32())
            + (y & Vector256.Create(0xFFFF_FFFFUL));
        var r = (folded | Vector256.Create(TwoTo52Bits)).AsDouble() - Vector256.Create(TwoTo52);
        r -= Avx.RoundToNegativeInfinity(r * inverse) * m;
        var c = a + r;
        return c - Avx.RoundToNegativeInfinity((c + Vector256.Create(0.5)) * inverse) * m;
    }
}
