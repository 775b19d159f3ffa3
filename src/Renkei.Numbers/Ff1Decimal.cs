using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Renkei.Numbers;

/// <summary>
/// FF1 encryption of short decimal numbers (6 to 18 digits) under one key and one tweak, for many
/// numbers at once; the same function as <see cref="Ff1"/> (radix 10), computed another way.
/// </summary>
/// <remarks>
/// With v ≤ 9 digits in the right half, NUM(B) fits in b ≤ 4 bytes, so d = 8 and y is one 64-bit
/// integer; with a tweak of at most 16 − 1 − b bytes, Q is one block. P || Q is then two blocks,
/// and the PRF is AES(AES(P) ⊕ Q): AES(P) and everything in Q except NUM(B) are fixed per round,
/// so each round of each number costs one AES block and a few 64-bit operations. Blocks of many
/// numbers are interleaved so that the AES unit is never idle; without AES instructions, each
/// round of a batch is one large AES-ECB call instead.
/// </remarks>
internal sealed partial class Ff1Decimal : IDisposable
{
    private const int Rounds = 10;
    private const int Lanes = 16;
    private const int EcbBatch = 1024;

    private readonly int u;
    private readonly int v;
    private readonly ulong modU;
    private readonly ulong modV;
    private readonly ulong limit;
    private readonly byte[] key;
    /// <summary>AES(P) ⊕ Q with NUM(B) = 0, per round: the PRF input before the number goes in.</summary>
    private readonly Vector128<byte>[] roundInputs = new Vector128<byte>[Rounds];
    /// <summary>The same, already xored with the first round key (AES instruction path only).</summary>
    private readonly Vector128<byte>[] whitenedInputs = new Vector128<byte>[Rounds];
    private readonly Vector128<byte>[]? roundKeys;

    /// <param name="key">an AES key of 16, 24 or 32 bytes (the AES instruction path takes 32).</param>
    /// <param name="length">the number of decimal digits, 6 to 18.</param>
    /// <param name="tweak">the FF1 tweak, short enough for <see cref="Fits"/>.</param>
    /// <param name="useAesInstructions">false forces the AES-ECB batch path, to test it.</param>
    /// <param name="useVectors">false keeps the Feistel arithmetic scalar, to test the vector form against it.</param>
    public Ff1Decimal(ReadOnlySpan<byte> key, int length, ReadOnlySpan<byte> tweak, bool useAesInstructions = true, bool useVectors = true)
    {
        if (key.Length is not (16 or 24 or 32)) throw new ArgumentException("FF1 needs an AES key of 16, 24 or 32 bytes", nameof(key));
        if (!Fits(length, tweak.Length)) throw new ArgumentException($"the decimal fast form takes 6 to 18 digits and a tweak of at most {16 - 1 - ByteCount(length - length / 2)} bytes");
        this.key = key.ToArray();
        Length = length;
        u = length / 2;
        v = length - u;
        modU = Pow10(u);
        modV = Pow10(v);
        limit = Pow10(length);
        var b = ByteCount(v);

        Span<byte> p = stackalloc byte[16];
        p[0] = 1; p[1] = 2; p[2] = 1;
        p[3] = 0; p[4] = 0; p[5] = 10; // radix as three bytes
        p[6] = 10; p[7] = (byte)(u % 256);
        BinaryPrimitives.WriteUInt32BigEndian(p[8..], (uint)length);
        BinaryPrimitives.WriteUInt32BigEndian(p[12..], (uint)tweak.Length);
        Span<byte> cipherOfP = stackalloc byte[16];
        using (var aes = System.Security.Cryptography.Aes.Create())
        {
            aes.Key = this.key;
            aes.EncryptEcb(p, cipherOfP, PaddingMode.None);
        }

        // Q = T || 0^pad || [i] || [NUM(B)]^b with NUM(B) left as zero, to be xored in per number.
        var padding = ((-tweak.Length - b - 1) % 16 + 16) % 16;
        Span<byte> q = stackalloc byte[16];
        AesInstructions = useAesInstructions && key.Length == 32 && Ff1Aes256.IsSupported;
        if (AesInstructions) roundKeys = Ff1Aes256.ExpandKey(key);
        VectorArithmetic = AesInstructions && useVectors && length == 11 && VectorsSupported;
        for (var i = 0; i < Rounds; i++)
        {
            q.Clear();
            tweak.CopyTo(q);
            q[tweak.Length + padding] = (byte)i;
            roundInputs[i] = Vector128.Create<byte>(cipherOfP) ^ Vector128.Create<byte>(q);
            if (roundKeys is not null) whitenedInputs[i] = roundInputs[i] ^ roundKeys[0];
        }
    }

    /// <summary>Whether a number of <paramref name="length"/> digits and a tweak of <paramref name="tweakLength"/> bytes take this form.</summary>
    public static bool Fits(int length, int tweakLength) =>
        length is >= 6 and <= 18 && tweakLength >= 0 && tweakLength + 1 + ByteCount(length - length / 2) <= 16;

    /// <summary>The number of digits.</summary>
    public int Length { get; }

    /// <summary>Whether this instance runs on the processor's AES instructions (else on AES-ECB batches).</summary>
    public bool AesInstructions { get; }

    /// <summary>Whether the Feistel arithmetic runs four numbers per vector instruction (eleven digits, AVX2).</summary>
    public bool VectorArithmetic { get; }

    /// <summary>Encrypts each of <paramref name="input"/> (each below 10^Length) into <paramref name="output"/>, on the calling thread.</summary>
    public void Encrypt(ReadOnlySpan<long> input, Span<long> output)
    {
        if (output.Length < input.Length) throw new ArgumentException("output is shorter than input", nameof(output));
        foreach (var x in input)
            if ((ulong)x >= limit) throw new ArgumentOutOfRangeException(nameof(input), $"an input is not a number of {Length} digits");
        output = output[..input.Length];
        if (roundKeys is null) EncryptEcb(input, output);
        else if (VectorArithmetic) EncryptElevenDigitsInVectors(input, output);
        else if (Length == 11) EncryptWithAesInstructions(input, output, new ElevenDigits());
        else EncryptWithAesInstructions(input, output, new AnyDigits(modU, modV));
    }

    /// <summary>The numbers of digits in the halves, as constants where the JIT can use them.</summary>
    private interface IShape
    {
        ulong ModU { get; }
        ulong ModV { get; }
    }

    private readonly struct ElevenDigits : IShape
    {
        public ulong ModU => 100_000;
        public ulong ModV => 1_000_000;
    }

    private readonly struct AnyDigits(ulong modU, ulong modV) : IShape
    {
        public ulong ModU => modU;
        public ulong ModV => modV;
    }

    /// <summary>Sixteen numbers at a time: their round blocks go through AES together, round by round.</summary>
    [SkipLocalsInit]
    private void EncryptWithAesInstructions<TShape>(ReadOnlySpan<long> input, Span<long> output, TShape shape) where TShape : struct, IShape
    {
        Span<ulong> a = stackalloc ulong[Lanes];
        Span<ulong> b = stackalloc ulong[Lanes];
        var keys = roundKeys!;
        for (var start = 0; start < input.Length; start += Lanes)
        {
            var count = Math.Min(Lanes, input.Length - start);
            for (var j = 0; j < Lanes; j++)
            {
                var x = j < count ? (ulong)input[start + j] : 0;
                a[j] = x / shape.ModV;
                b[j] = x % shape.ModV;
            }
            for (var i = 0; i < Rounds; i += 2)
            {
                Round(keys, whitenedInputs[i], a, b, shape.ModU);
                Round(keys, whitenedInputs[i + 1], a, b, shape.ModV);
            }
            for (var j = 0; j < count; j++) output[start + j] = (long)(a[j] * shape.ModV + b[j]);
        }
    }

    /// <summary>One Feistel round of sixteen numbers: A ← B, B ← (A + y) mod <paramref name="modulus"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(Vector128<byte>[] keys, Vector128<byte> whitened, Span<ulong> a, Span<ulong> b, ulong modulus)
    {
        var low = whitened.AsUInt64().GetElement(0);
        var high = whitened.AsUInt64().GetElement(1);
        var s0 = Start(low, high, b[0]);
        var s1 = Start(low, high, b[1]);
        var s2 = Start(low, high, b[2]);
        var s3 = Start(low, high, b[3]);
        var s4 = Start(low, high, b[4]);
        var s5 = Start(low, high, b[5]);
        var s6 = Start(low, high, b[6]);
        var s7 = Start(low, high, b[7]);
        var s8 = Start(low, high, b[8]);
        var s9 = Start(low, high, b[9]);
        var s10 = Start(low, high, b[10]);
        var s11 = Start(low, high, b[11]);
        var s12 = Start(low, high, b[12]);
        var s13 = Start(low, high, b[13]);
        var s14 = Start(low, high, b[14]);
        var s15 = Start(low, high, b[15]);
        for (var r = 1; r < Ff1Aes256.RoundKeyCount - 1; r++)
        {
            var k = keys[r];
            s0 = X86Aes.Encrypt(s0, k);
            s1 = X86Aes.Encrypt(s1, k);
            s2 = X86Aes.Encrypt(s2, k);
            s3 = X86Aes.Encrypt(s3, k);
            s4 = X86Aes.Encrypt(s4, k);
            s5 = X86Aes.Encrypt(s5, k);
            s6 = X86Aes.Encrypt(s6, k);
            s7 = X86Aes.Encrypt(s7, k);
            s8 = X86Aes.Encrypt(s8, k);
            s9 = X86Aes.Encrypt(s9, k);
            s10 = X86Aes.Encrypt(s10, k);
            s11 = X86Aes.Encrypt(s11, k);
            s12 = X86Aes.Encrypt(s12, k);
            s13 = X86Aes.Encrypt(s13, k);
            s14 = X86Aes.Encrypt(s14, k);
            s15 = X86Aes.Encrypt(s15, k);
        }
        var last = keys[Ff1Aes256.RoundKeyCount - 1];
        Finish(X86Aes.EncryptLast(s0, last), ref a[0], ref b[0], modulus);
        Finish(X86Aes.EncryptLast(s1, last), ref a[1], ref b[1], modulus);
        Finish(X86Aes.EncryptLast(s2, last), ref a[2], ref b[2], modulus);
        Finish(X86Aes.EncryptLast(s3, last), ref a[3], ref b[3], modulus);
        Finish(X86Aes.EncryptLast(s4, last), ref a[4], ref b[4], modulus);
        Finish(X86Aes.EncryptLast(s5, last), ref a[5], ref b[5], modulus);
        Finish(X86Aes.EncryptLast(s6, last), ref a[6], ref b[6], modulus);
        Finish(X86Aes.EncryptLast(s7, last), ref a[7], ref b[7], modulus);
        Finish(X86Aes.EncryptLast(s8, last), ref a[8], ref b[8], modulus);
        Finish(X86Aes.EncryptLast(s9, last), ref a[9], ref b[9], modulus);
        Finish(X86Aes.EncryptLast(s10, last), ref a[10], ref b[10], modulus);
        Finish(X86Aes.EncryptLast(s11, last), ref a[11], ref b[11], modulus);
        Finish(X86Aes.EncryptLast(s12, last), ref a[12], ref b[12], modulus);
        Finish(X86Aes.EncryptLast(s13, last), ref a[13], ref b[13], modulus);
        Finish(X86Aes.EncryptLast(s14, last), ref a[14], ref b[14], modulus);
        Finish(X86Aes.EncryptLast(s15, last), ref a[15], ref b[15], modulus);
    }

    /// <summary>The round input with NUM(B) as the last four bytes, big-endian, of the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Start(ulong low, ulong high, ulong b) =>
        Vector128.Create(low, high ^ ((ulong)BinaryPrimitives.ReverseEndianness((uint)b) << 32)).AsByte();

    /// <summary>y = the first eight bytes of R, big-endian; c = (NUM(A) + y) mod radix^m; A ← B; B ← c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Vector128<byte> r, ref ulong a, ref ulong b, ulong modulus)
    {
        var y = BinaryPrimitives.ReverseEndianness(r.AsUInt64().ToScalar());
        // a + (y mod m) is below 2m; subtract m unless that goes negative, without a branch: the
        // comparison is a coin toss that a branch predictor would lose half the time.
        var c = a + y % modulus - modulus;
        c += modulus & (ulong)((long)c >> 63);
        a = b;
        b = c;
    }

    /// <summary>Without AES instructions: each round of a batch of numbers is one AES-ECB call over all their blocks.</summary>
    private void EncryptEcb(ReadOnlySpan<long> input, Span<long> output)
    {
        using var aes = System.Security.Cryptography.Aes.Create();
        aes.Key = key;
        var batch = Math.Min(EcbBatch, input.Length);
        var blocks = new byte[batch * 16];
        var results = new byte[batch * 16];
        var a = new ulong[batch];
        var b = new ulong[batch];
        for (var start = 0; start < input.Length; start += batch)
        {
            var count = Math.Min(batch, input.Length - start);
            for (var j = 0; j < count; j++)
            {
                a[j] = (ulong)input[start + j] / modV;
                b[j] = (ulong)input[start + j] % modV;
            }
            for (var i = 0; i < Rounds; i++)
            {
                var low = roundInputs[i].AsUInt64().GetElement(0);
                var high = roundInputs[i].AsUInt64().GetElement(1);
                var view = MemoryMarshal.Cast<byte, Vector128<byte>>(blocks.AsSpan(0, count * 16));
                for (var j = 0; j < count; j++) view[j] = Start(low, high, b[j]);
                aes.EncryptEcb(blocks.AsSpan(0, count * 16), results, PaddingMode.None);
                var modulus = i % 2 == 0 ? modU : modV;
                var outputs = MemoryMarshal.Cast<byte, Vector128<byte>>(results.AsSpan(0, count * 16));
                for (var j = 0; j < count; j++) Finish(outputs[j], ref a[j], ref b[j], modulus);
            }
            for (var j = 0; j < count; j++) output[start + j] = (long)(a[j] * modV + b[j]);
        }
    }

    /// <summary>b: the bytes NUM(B) takes for <paramref name="digits"/> digits, ceil(ceil(digits·log2 10) / 8).</summary>
    private static int ByteCount(int digits) => (int)((BigInteger.Pow(10, digits) - 1).GetBitLength() + 7) / 8;

    private static ulong Pow10(int exponent)
    {
        ulong value = 1;
        for (var i = 0; i < exponent; i++) value *= 10;
        return value;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(key);
        if (roundKeys is not null) Array.Clear(roundKeys);
        Array.Clear(roundInputs);
        Array.Clear(whitenedInputs);
    }
}
