using System.Net;
using System.Security.Cryptography;
using Renkei.Cli.Linkage;
using Renkei.Hosting;
using Renkei.Protocol.Records;

namespace Renkei.Cli.Records;

/// <summary>How a head another party kept compares with the log as the audit is shown it.</summary>
public enum Agreement { NothingYet, Consistent, Unchecked, Differs }

/// <summary>One comparison: its outcome, said Japanese then English, and what a refusing service said (already bilingual).</summary>
public sealed record Verdict(Agreement Agreement, string Japanese, string English, string? Said = null)
{
    public override string ToString() => $"{Japanese} / {English}{(Said is null ? "" : $" — {Said}")}";

    public static Verdict Unchecked(string said) => new(Agreement.Unchecked, "確かめられません", "cannot be checked", said);
}

/// <summary>A service's answer: the value, or the status, the problem's type and what it said.</summary>
public sealed record Answer<T>(T? Value, HttpStatusCode Status, string? Slug, string Said) where T : class
{
    /// <summary>GET <paramref name="path"/>, with a bearer token when given; a body that is not the API's throws <see cref="ServiceAnswer.NotTheApi"/>.</summary>
    public static async Task<Answer<T>> GetAsync(HttpClient client, string path, string? token, string service, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        using var response = await client.SendAsync(request, ct);
        if (response.IsSuccessStatusCode) return new(await ServiceAnswer.ReadAsync<T>(response, service, ct), response.StatusCode, null, "");
        var body = await AnswerText.ReadAsync(response.Content, ct);
        return new(null, response.StatusCode, Problems.OfBody(body).Slug, ProblemText.Of(response, body));
    }
}

/// <summary>
/// The audit's own view of one party's log (the core's, or a tenant's): the latest signed tree head the party showed the audit,
/// each later one taken only when the party proves it extends the one before. A head another party kept is consistent with the
/// log only if the party proves the log as the audit sees it extends it; a party that keeps two logs and shows the holder of the
/// kept head the other one cannot.
/// </summary>
public sealed class LogView(string party, ECDsa key, Func<CancellationToken, Task<Answer<SignedTreeHead>>> head,
    Func<long, CancellationToken, Task<Answer<ConsistencyProof>>> prove)
{
    /// <summary>Rounds of "the log grew meanwhile" before the comparison gives up: a log that grows between every two questions.</summary>
    private const int MostRounds = 8;

    /// <summary>The latest head the party showed the audit; null before <see cref="StartAsync"/>.</summary>
    public SignedTreeHead? Current { get; private set; }

    /// <summary>Asks the party for its signed tree head; null when it is one of the party's, else what is wrong with it.</summary>
    public async Task<Verdict?> StartAsync(CancellationToken ct)
    {
        var answer = await head(ct);
        if (answer.Value is not { } shown) return Refused(answer);
        if (!Signed(shown))
            return new(Agreement.Differs, "署名済みツリーヘッドがこの主体の鍵で検証できません", "its signed tree head does not verify under the party's key");
        Current = shown;
        return null;
    }

    /// <summary>Whether the log as the party shows the audit extends <paramref name="kept"/>, a head another party was shown and kept.</summary>
    /// <param name="holder">who kept it, as the line says: 保管した / kept by the tenant, 立ち会った / witnessed by the core.</param>
    public async Task<Verdict> HoldsAsync(SignedTreeHead kept, (string Japanese, string English) holder, CancellationToken ct)
    {
        var current = Current ?? throw new InvalidOperationException("StartAsync first");
        Verdict Differs(string japanese, string english, string? said = null) =>
            new(Agreement.Differs, $"{holder.Japanese} {kept.Size:N0} 件のツリーヘッドを、いまの記録が含みません（{japanese}）",
                $"the log now does not extend the {kept.Size:N0} records {holder.English} ({english})", said);
        if (!Signed(kept)) return Differs("その署名がこの主体の鍵で検証できません", "its signature does not verify under the party's key");
        var x = kept;
        for (var round = 0; round < MostRounds; round++)
        {
            if (x.Size == current.Size)
            {
                if (x.RootHash != current.RootHash) return Differs($"同じ {x.Size:N0} 件で根のハッシュが異なります", $"another root hash at the same {x.Size:N0} records");
                return new(Agreement.Consistent, $"{holder.Japanese} {kept.Size:N0} 件のツリーヘッドを、いまの {current.Size:N0} 件が含みます",
                    $"the {current.Size:N0} records now extend the {kept.Size:N0} {holder.English}");
            }
            if (x.Size < current.Size)
            {
                // The party proves its log (as it stands now, perhaps grown since) extends the smaller head.
                var answer = await prove(x.Size, ct);
                if (answer.Value is not { } proof)
                {
                    var refused = Refused(answer);
                    return refused.Agreement == Agreement.Differs ? Differs("整合性証明を出せません", "no consistency proof", refused.Said) : refused;
                }
                if (!proof.Verify(x, key)) return Differs("整合性証明が成り立ちません", "the consistency proof does not hold");
                if (proof.Head.Size < current.Size)
                    return Differs($"この監査に {current.Size:N0} 件と示した記録がいま {proof.Head.Size:N0} 件です", $"shown to this audit as {current.Size:N0} records, now {proof.Head.Size:N0}");
                x = proof.Head;
                continue;
            }
            // The kept head is ahead of the audit's view: the view moves on, by the party's proof that it grew from what it showed.
            var moved = await MoveOnAsync(current, ct);
            if (moved.Head is not { } next) return moved.Why!.Agreement == Agreement.Differs ? Differs(moved.Why.Japanese, moved.Why.English, moved.Why.Said) : moved.Why;
            if (next.Size < x.Size)
                return Differs($"この監査に示す記録は {next.Size:N0} 件しかありません", $"the log shown to this audit holds only {next.Size:N0} records");
            current = next;
            Current = current;
        }
        return Verdict.Unchecked($"記録が問い合わせのたびに増え続け、比べ終わりませんでした。もう一度実行してください / the log grew between every two questions: run the audit again");
    }

    /// <summary>The party's head now, proven to extend <paramref name="from"/> (an empty log is extended by any).</summary>
    private async Task<(SignedTreeHead? Head, Verdict? Why)> MoveOnAsync(SignedTreeHead from, CancellationToken ct)
    {
        if (from.Size == 0)
        {
            var answer = await head(ct);
            if (answer.Value is not { } shown) return (null, Refused(answer));
            return Signed(shown) ? (shown, null)
                : (null, new(Agreement.Differs, "署名済みツリーヘッドがこの主体の鍵で検証できません", "its signed tree head does not verify under the party's key"));
        }
        var proving = await prove(from.Size, ct);
        if (proving.Value is not { } proof) return (null, Refused(proving));
        return proof.Verify(from, key) ? (proof.Head, null)
            : (null, new(Agreement.Differs, "この監査に示した記録どうしが整合しません", "the logs shown to this audit do not extend one another"));
    }

    private bool Signed(SignedTreeHead head) => head.Party == party && head.HasValidSignature(key);

    /// <summary>
    /// A party refusing a head or a proof: its own word that its log is broken (409 <c>head-not-reached</c>, <c>records-missing</c>)
    /// or shorter than a head it signed (400 <c>invalid-size</c>) is a difference; anything else (a token refused, a gateway's 502)
    /// leaves it unchecked.
    /// </summary>
    private static Verdict Refused<T>(Answer<T> answer) where T : class =>
        RecordProofsApi.IsBrokenLog(answer.Slug) || answer.Slug is "invalid-size"
            ? new(Agreement.Differs, "記録が壊れているか短くなっています", "the log is broken or shorter than before", answer.Said)
            : Verdict.Unchecked(answer.Said);
}
