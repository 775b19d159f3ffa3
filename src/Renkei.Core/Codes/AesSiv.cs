using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace Renkei.Core.Codes;

/// <summary>
/// AES-SIV (RFC 5297), deterministic authenticated encryption: S2V (AES-CMAC over each associated
/// data component, then over the plaintext) gives the 128-bit synthetic IV V, which is both the tag
/// and the AES-CTR counter. Output is V ‖ C. The key is 32, 48 or 64 bytes (AES-SIV-CMAC-256, -384,
/// -512): its first half keys CMAC, its second half CTR. Nonce-based use passes the nonce as the last
/// associated data component (RFC 5297 §3). An instance holds two <see cref="Aes"/> objects, which
/// may not be shared: keep one per thread.
/// </summary>
public sealed class AesSiv : IDisposable
{
    public const int SivLength = 16;
    private const int Block = 16;
    // Past this the work buffer comes from the pool instead of the stack.
    private const int StackWorkLimit = 512;
    private static readonly byte[] ZeroBlock = new byte[Block];
    // RFC 5297 §2.5: clearing bits 63 and 31 of the counter lets implementations add with 64- or 32-bit arithmetic.
    private static readonly UInt128 CounterMask = ~((UInt128.One << 63) | (UInt128.One << 31));

    private readonly Aes mac, ctr;
    // ECB block transforms kept open: a one-shot AES call sets up a cipher context and key schedule each
    // time (about 1.5 µs on OpenSSL), a kept transform costs a tenth of that per call.
    private readonly ICryptoTransform macBlock, ctrBlocks;
    private byte[] counters = new byte[2 * Block], stream = new byte[2 * Block];
    private readonly byte[] chain = new byte[Block], chained = new byte[Block];
    private readonly UInt128 subkey1, subkey2; // CMAC's K1 and K2 (RFC 4493 §2.3)
    private readonly UInt128 start;            // CMAC(0^128): S2V's first value, the same for every message

    public AesSiv(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (32 or 48 or 64)) throw new ArgumentException("An AES-SIV key is 32, 48 or 64 bytes.", nameof(key));
        mac = Create(key[..(key.Length / 2)]);
        ctr = Create(key[(key.Length / 2)..]);
        macBlock = mac.CreateEncryptor();
        ctrBlocks = ctr.CreateEncryptor();
        Span<byte> l = stackalloc byte[Block];
        mac.EncryptEcb(ZeroBlock, l, PaddingMode.None);
        subkey1 = Dbl(BinaryPrimitives.ReadUInt128BigEndian(l));
        subkey2 = Dbl(subkey1);
        CryptographicOperations.ZeroMemory(l);
        Span<byte> zero = stackalloc byte[Block];
        start = Cmac(zero, Block);
    }

    /// <summary>
    /// S2V's running value after <paramref name="associatedData"/>. When the associated data repeat,
    /// compute this once and use the overloads that take it (RFC 5297 §5 suggests exactly that).
    /// </summary>
    public UInt128 Absorb(params ReadOnlySpan<byte[]> associatedData)
    {
        // RFC 5297 allows at most 126 associated data components besides the plaintext.
        if (associatedData.Length > 126) throw new ArgumentException("AES-SIV takes at most 126 associated data components.", nameof(associatedData));
        var d = start;
        var longest = 0;
        foreach (var component in associatedData) longest = Math.Max(longest, component.Length);
        var rented = ArrayPool<byte>.Shared.Rent(Padded(longest));
        try
        {
            foreach (var component in associatedData)
            {
                var work = rented.AsSpan(0, Padded(component.Length));
                component.CopyTo(work);
                d = Dbl(d) ^ Cmac(work, component.Length);
            }
            return d;
        }
        finally { ArrayPool<byte>.Shared.Return(rented, clearArray: true); }
    }

    /// <summary>Writes V ‖ C (16 bytes longer than the plaintext) to <paramref name="output"/>, which must not overlap the plaintext.</summary>
    public void Encrypt(ReadOnlySpan<byte> plaintext, Span<byte> output, params ReadOnlySpan<byte[]> associatedData) =>
        Encrypt(Absorb(associatedData), plaintext, output);

    /// <summary>Opens V ‖ C into <paramref name="plaintext"/>; false, with the plaintext cleared, unless V is the one S2V gives.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> input, Span<byte> plaintext, params ReadOnlySpan<byte[]> associatedData) =>
        TryDecrypt(Absorb(associatedData), input, plaintext);

    /// <summary><see cref="Encrypt(ReadOnlySpan{byte}, Span{byte}, ReadOnlySpan{byte[]})"/> with the associated data already absorbed.</summary>
    public void Encrypt(UInt128 absorbed, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        if (output.Length != plaintext.Length + SivLength) throw new ArgumentException("The output is 16 bytes longer than the plaintext.", nameof(output));
        var size = Padded(plaintext.Length);
        byte[]? rented = null;
        var work = size <= StackWorkLimit ? stackalloc byte[size] : (rented = ArrayPool<byte>.Shared.Rent(size)).AsSpan(0, size);
        try
        {
            var v = Finish(absorbed, plaintext, work);
            BinaryPrimitives.WriteUInt128BigEndian(output, v);
            Ctr(v, plaintext, output[SivLength..]);
        }
        finally { Release(work, rented); }
    }

    /// <summary><see cref="TryDecrypt(ReadOnlySpan{byte}, Span{byte}, ReadOnlySpan{byte[]})"/> with the associated data already absorbed.</summary>
    public bool TryDecrypt(UInt128 absorbed, ReadOnlySpan<byte> input, Span<byte> plaintext)
    {
        if (input.Length < SivLength || plaintext.Length != input.Length - SivLength) return false;
        var size = Padded(plaintext.Length);
        byte[]? rented = null;
        var work = size <= StackWorkLimit ? stackalloc byte[size] : (rented = ArrayPool<byte>.Shared.Rent(size)).AsSpan(0, size);
        try
        {
            Ctr(BinaryPrimitives.ReadUInt128BigEndian(input), input[SivLength..], plaintext);
            Span<byte> t = stackalloc byte[SivLength];
            BinaryPrimitives.WriteUInt128BigEndian(t, Finish(absorbed, plaintext, work));
            if (CryptographicOperations.FixedTimeEquals(t, input[..SivLength])) return true;
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
        finally { Release(work, rented); }
    }

    public void Dispose()
    {
        macBlock.Dispose();
        ctrBlocks.Dispose();
        mac.Dispose();
        ctr.Dispose();
    }

    /// <summary>S2V's last step: the plaintext is the final component. <paramref name="t"/> holds Padded(length) bytes.</summary>
    private UInt128 Finish(UInt128 d, ReadOnlySpan<byte> plaintext, Span<byte> t)
    {
        plaintext.CopyTo(t);
        if (plaintext.Length >= Block)
        {
            // T = Sn xorend D
            var end = t.Slice(plaintext.Length - Block, Block);
            BinaryPrimitives.WriteUInt128BigEndian(end, BinaryPrimitives.ReadUInt128BigEndian(end) ^ d);
            return Cmac(t, plaintext.Length);
        }
        // T = dbl(D) xor pad(Sn), one whole block
        Pad(t, plaintext.Length);
        BinaryPrimitives.WriteUInt128BigEndian(t, BinaryPrimitives.ReadUInt128BigEndian(t) ^ Dbl(d));
        return Cmac(t, Block);
    }

    /// <summary>
    /// AES-CMAC (RFC 4493) of message[..length]: CBC with a zero IV, block by block through the kept
    /// ECB transform, after the last block is padded if partial and masked with its subkey. The message
    /// span has room for the padding and is overwritten.
    /// </summary>
    private UInt128 Cmac(Span<byte> message, int length)
    {
        var padded = message[..Padded(length)];
        var whole = length > 0 && length % Block == 0;
        if (!whole) Pad(padded, length);
        var last = padded[^Block..];
        BinaryPrimitives.WriteUInt128BigEndian(last, BinaryPrimitives.ReadUInt128BigEndian(last) ^ (whole ? subkey1 : subkey2));
        var x = UInt128.Zero;
        for (var i = 0; i < padded.Length; i += Block)
        {
            BinaryPrimitives.WriteUInt128BigEndian(chain, x ^ BinaryPrimitives.ReadUInt128BigEndian(padded.Slice(i, Block)));
            macBlock.TransformBlock(chain, 0, Block, chained, 0);
            x = BinaryPrimitives.ReadUInt128BigEndian(chained);
        }
        CryptographicOperations.ZeroMemory(chain);
        CryptographicOperations.ZeroMemory(chained);
        return x;
    }

    /// <summary>AES-CTR from Q = V with bits 63 and 31 cleared: the counter blocks go through the kept ECB transform in one call.</summary>
    private void Ctr(UInt128 v, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length == 0) return;
        var q = v & CounterMask;
        var size = (input.Length + Block - 1) / Block * Block;
        if (counters.Length < size) (counters, stream) = (new byte[size], new byte[size]);
        for (var i = 0; i < size / Block; i++) BinaryPrimitives.WriteUInt128BigEndian(counters.AsSpan(i * Block), q + (UInt128)(uint)i);
        ctrBlocks.TransformBlock(counters, 0, size, stream, 0);
        var j = 0;
        for (; j + Block <= input.Length; j += Block)
            (Vector128.Create(input[j..]) ^ Vector128.Create((ReadOnlySpan<byte>)stream.AsSpan(j))).CopyTo(output[j..]);
        for (; j < input.Length; j++) output[j] = (byte)(input[j] ^ stream[j]);
        CryptographicOperations.ZeroMemory(stream.AsSpan(0, size));
    }

    /// <summary>RFC 5297 §2.3: multiplication by x in GF(2^128).</summary>
    private static UInt128 Dbl(UInt128 s) => (s << 1) ^ ((s >> 127) * 0x87u);

    /// <summary>Appends 10* after data[..length] up to a whole block (RFC 5297 §2.1 pad).</summary>
    private static void Pad(Span<byte> data, int length)
    {
        var end = Padded(length);
        data[length] = 0x80;
        data[(length + 1)..end].Clear();
    }

    /// <summary>The length rounded up to whole blocks, at least one block.</summary>
    private static int Padded(int length) => Math.Max(Block, (length + Block - 1) / Block * Block);

    private static Aes Create(ReadOnlySpan<byte> key)
    {
        var aes = Aes.Create();
        aes.SetKey(key);
        aes.Mode = CipherMode.ECB;
        aes.Padding = PaddingMode.None;
        return aes;
    }

    private static void Release(Span<byte> work, byte[]? rented)
    {
        CryptographicOperations.ZeroMemory(work);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }
}
