using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Renkei.Numbers;

/// <summary>
/// AES-256 on the processor's AES instructions: the key schedule and one block at a time, for
/// <see cref="Ff1Decimal"/>, which interleaves many blocks itself so that the AES unit never waits.
/// </summary>
internal static class Ff1Aes256
{
    public const int RoundKeyCount = 15;

    public static bool IsSupported => System.Runtime.Intrinsics.X86.Aes.IsSupported && Sse2.IsSupported;

    /// <summary>The fifteen round keys of a 32-byte key (FIPS 197 key expansion, via AESKEYGENASSIST).</summary>
    public static Vector128<byte>[] ExpandKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32) throw new ArgumentException("AES-256 needs a 32-byte key", nameof(key));
        if (!IsSupported) throw new PlatformNotSupportedException("this processor has no AES instructions");
        var keys = new Vector128<byte>[RoundKeyCount];
        var even = Vector128.Create(key[..16]);
        var odd = Vector128.Create(key[16..]);
        keys[0] = even;
        keys[1] = odd;
        // The round constant must be an immediate, hence one call per round written out.
        even = Next(even, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(odd, 0x01).AsUInt32(), 0xFF)); keys[2] = even;
        odd = Next(odd, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(even, 0).AsUInt32(), 0xAA)); keys[3] = odd;
        even = Next(even, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(odd, 0x02).AsUInt32(), 0xFF)); keys[4] = even;
        odd = Next(odd, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(even, 0).AsUInt32(), 0xAA)); keys[5] = odd;
        even = Next(even, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(odd, 0x04).AsUInt32(), 0xFF)); keys[6] = even;
        odd = Next(odd, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(even, 0).AsUInt32(), 0xAA)); keys[7] = odd;
        even = Next(even, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(odd, 0x08).AsUInt32(), 0xFF)); keys[8] = even;
        odd = Next(odd, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(even, 0).AsUInt32(), 0xAA)); keys[9] = odd;
        even = Next(even, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(odd, 0x10).AsUInt32(), 0xFF)); keys[10] = even;
        odd = Next(odd, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(even, 0).AsUInt32(), 0xAA)); keys[11] = odd;
        even = Next(even, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(odd, 0x20).AsUInt32(), 0xFF)); keys[12] = even;
        odd = Next(odd, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(even, 0).AsUInt32(), 0xAA)); keys[13] = odd;
        even = Next(even, Sse2.Shuffle(System.Runtime.Intrinsics.X86.Aes.KeygenAssist(odd, 0x40).AsUInt32(), 0xFF)); keys[14] = even;
        return keys;
    }

    /// <summary>w[i] = w[i−8] ⊕ (running xor of the previous words) ⊕ the transformed word, four words at once.</summary>
    private static Vector128<byte> Next(Vector128<byte> previous, Vector128<uint> transformed)
    {
        var k = previous;
        k ^= Sse2.ShiftLeftLogical128BitLane(k, 4);
        k ^= Sse2.ShiftLeftLogical128BitLane(k, 4);
        k ^= Sse2.ShiftLeftLogical128BitLane(k, 4);
        return k ^ transformed.AsByte();
    }

    /// <summary>One block, for tests and set-up; the hot path interleaves blocks instead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> EncryptBlock(Vector128<byte> block, Vector128<byte>[] keys)
    {
        var s = block ^ keys[0];
        for (var r = 1; r < RoundKeyCount - 1; r++) s = System.Runtime.Intrinsics.X86.Aes.Encrypt(s, keys[r]);
        return System.Runtime.Intrinsics.X86.Aes.EncryptLast(s, keys[RoundKeyCount - 1]);
    }
}
