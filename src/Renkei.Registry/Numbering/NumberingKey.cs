using Renkei.Hosting;

namespace Renkei.Registry.Numbering;

/// <summary>The numbering authority's FF1 key file (made on first start in the sandbox).</summary>
public static class NumberingKey
{
    public static byte[] LoadOrCreate(string path) => KeyFiles.LoadOrCreate(path);
}
