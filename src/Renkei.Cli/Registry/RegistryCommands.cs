using System.CommandLine;
using System.Text;
using Renkei.Cli.Network;
using Renkei.Hosting.Storage;
using Renkei.Numbers;
using Renkei.Registry;
using Renkei.Registry.Municipalities;
using Renkei.Registry.Numbering;
using Renkei.Registry.Seeding;

namespace Renkei.Cli.Registry;

/// <summary><c>renkei registry …</c>: load synthetic residents into the register and export it.</summary>
public static class RegistryCommands
{
    public static Command Create()
    {
        var registry = new Command("registry", "住民基本台帳の管理 / manage the resident register");
        registry.Subcommands.Add(Seed());
        registry.Subcommands.Add(Export());
        return registry;
    }

    /// <summary>The numbering key of a data folder, made on first use as the Registry itself does.</summary>
    public static string KeyFile(string dataFolder) => Path.Combine(dataFolder, "registry", "numbering.key");

    private static Command Seed()
    {
        var data = UpCommand.DataOption();
        var municipalities = new Option<int>("--municipalities")
        {
            Description = $"市区町村の数（デモの先頭から1〜{DemoMunicipalities.All.Count}）/ how many demo municipalities, 1 to {DemoMunicipalities.All.Count}, from the first",
            Required = true,
        }.Between(1, DemoMunicipalities.All.Count);
        var residents = new Option<long>("--residents") { Description = "住民の数（1以上）/ how many residents (1 or more)", Required = true }.Between(1, 100_000_000);
        var seed = new Option<int?>("--seed") { Description = "乱数の種（同じ種なら同じ住民。省略時は無作為）/ the random seed: the same seed gives the same people; random if omitted" }
            .Between(int.MinValue, int.MaxValue);
        var storage = new RegistryStorage();
        var command = new Command("seed", "架空の住民を登録する / register synthetic residents (names, addresses, households, numbers)")
        {
            data, municipalities, residents, seed,
        };
        storage.AddTo(command);
        command.SetAction((parse, ct) => Guarded(async () =>
        {
            using var interrupt = new Interruption(ct);
            var folder = Path.GetFullPath(parse.GetValue(data)!);
            var database = storage.Open(parse, folder);
            // As the Registry starts: the people seeded here must be numbered (and later linked) with the keys it will use.
            try { await RegistryApp.OpenAsync(database, new RegistryOptions { DataFolder = Path.GetDirectoryName(KeyFile(folder))! }); }
            catch (InvalidOperationException e) // an unreachable database, another service's, or a key that is not the register's: one line each
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
            using var deriver = new IndividualNumberDeriver(NumberingKey.LoadOrCreate(KeyFile(folder)));
            var plan = new SeedPlan(parse.GetValue(seed) ?? Random.Shared.Next(), parse.GetValue(municipalities), parse.GetValue(residents));
            var before = await CountResidentsAsync(database);
            Console.Out.WriteLine($"{plan.Residents:N0} 人を {plan.Municipalities} 市区町村に登録します（シード {plan.Seed}）/ " +
                $"registering {plan.Residents:N0} residents in {plan.Municipalities} municipalities (seed {plan.Seed})");
            // Audit W4: the same command line run again after a crash (a new random seed) added as many people again, unsaid.
            if (before > 0) Console.Error.WriteLine(Adding(before, plan.Residents, plan.Seed));
            try
            {
                var result = await SeedRunner.RunAsync(database, deriver, plan, "登録中 / seeding", interrupt.Token);
                // What it held and what this seed added: counting again read every row of a large register once more.
                var total = before + result.Residents;
                Console.Out.WriteLine($"{result.Residents:N0} 人・{result.Households:N0} 世帯を登録し、確定しました（台帳の住民は計 {total:N0} 人）/ registered and committed "
                    + $"{result.Residents:N0} residents in {result.Households:N0} households ({result.Elapsed.TotalSeconds:F1} s, {result.ResidentsPerSecond:N0}/s); "
                    + $"the register holds {total:N0} residents");
                return 0;
            }
            catch (SeedRefusedException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
            catch (System.Data.Common.DbException e) when (Database.IsFull(e))
            {
                // Reading needs no room: what stays is counted as after an interruption.
                long? added = null;
                try { added = await CountResidentsAsync(database) - before; }
                catch (System.Data.Common.DbException) { }
                Console.Error.WriteLine(Full(added, plan.Residents, e.Message.TrimEnd('.')));
                return 1;
            }
            catch (Exception) when (interrupt.Requested)
            {
                // Whatever the interrupted write threw (a cancellation, SQLite's "interrupted"), the transaction is rolled back by now:
                // into an empty register the seed is one transaction, otherwise each committed batch of whole households stays.
                Console.Error.WriteLine(Interrupted(await CountResidentsAsync(database) - before, plan.Residents));
                return Interruption.ExitCode;
            }
        }));
        return command;
    }

    /// <summary>What an interrupted seed says of the register, given how many residents it <paramref name="added"/> of those <paramref name="asked"/> for.</summary>
    // The last batch can commit just before the stop: then nothing is left to seed, and another seed would double the register.
    public static string Interrupted(long added, long asked) =>
        added == 0 ? "中断しました。台帳は登録前のままです / interrupted; the register is as it was before"
        : added >= asked ? $"中断しましたが、指示された {asked:N0} 人はすべて登録済みです。もう一度登録する必要はありません / "
            + $"interrupted, but all {asked:N0} residents asked for were already registered: there is nothing left to seed"
        : $"中断しました。指示された {asked:N0} 人のうち、確定済みの {added:N0} 人（完全な世帯のみ）が残ります。同じシードでは続きを登録できないため、"
            + $"残りの {asked - added:N0} 人は別のシードで登録してください / interrupted; {added:N0} of the {asked:N0} residents asked for are committed, "
            + $"in whole households, and stay. The same seed cannot be continued: seed the other {asked - added:N0} with another --seed";

    /// <summary>What a seed into a register that already holds <paramref name="before"/> residents says before it starts.</summary>
    public static string Adding(long before, long asked, int seed) =>
        $"注意: 台帳には既に {before:N0} 人が登録されています。さらに {asked:N0} 人を追加し、世帯単位のバッチごとに確定します（シード {seed}）/ "
        + $"note: the register already holds {before:N0} residents: {asked:N0} more are added (seed {seed}), committed batch by batch";

    /// <summary>What a seed stopped by a full disk says: the cause, what stays of the <paramref name="added"/> residents (null: unknown) and what to do.</summary>
    public static string Full(long? added, long asked, string reason) =>
        $"データベースのディスクに空きがないため止まりました（{reason}）。" + added switch
        {
            0 => "台帳は登録前のままです。空きを作ってから同じコマンドをもう一度実行してください / "
                + $"stopped: the disk of the database is full ({reason}). The register is as it was before: free space and run the same command again",
            > 0 when added < asked => $"指示された {asked:N0} 人のうち、確定済みの {added:N0} 人（完全な世帯のみ）が残ります。空きを作ってから、残りの {asked - added:N0} 人は別のシードで登録してください / "
                + $"stopped: the disk of the database is full ({reason}). {added:N0} of the {asked:N0} residents asked for are committed, in whole households, "
                + $"and stay: free space, then seed the other {asked - added:N0} with another --seed",
            _ => "空きを作ってから、renkei registry export で台帳に残った住民を確かめてください / "
                + $"stopped: the disk of the database is full ({reason}). Free space, then see with renkei registry export what the register holds",
        };

    private static Command Export()
    {
        var data = UpCommand.DataOption();
        var municipality = new Option<string?>("--municipality") { Description = "この市区町村だけ（6桁コード）/ only this municipality (6-digit code)" };
        municipality.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string?>();
            if (text is null) return;
            // Only the form here: whether the register holds it is asked of the register (below), not of the demo list.
            if (!LocalGovernmentCode.TryParse(text, out _, out var problem))
                r.AddError($"--municipality が不正です / invalid --municipality: {problem!.Message}");
        });
        var output = new Option<string?>("--out")
        {
            Description = "書き出すファイル（所有者のみ読み書き可。最後まで書けたときだけ置く）/ the file to write, readable by its owner only and put in place " +
                "only once whole (default: standard output)",
        };
        var storage = new RegistryStorage();
        var command = new Command("export", "住民をCSV（UTF-8、RFC 4180）で書き出す（個人番号を含む）/ write the residents as CSV (UTF-8, RFC 4180), Individual Numbers included, " +
            "to standard output or --out FILE")
        {
            data, municipality, output,
        };
        storage.AddTo(command);
        command.SetAction((parse, ct) => Guarded(async () =>
        {
            var folder = Path.GetFullPath(parse.GetValue(data)!);
            var outPath = parse.GetValue(output);
            // Before the register is read: a file that cannot be written is one line, not an export done for nothing.
            if (outPath is not null && OutputFile.Problem(outPath) is { } unwritable)
            {
                Console.Error.WriteLine($"--out: {unwritable}");
                return 1;
            }
            if (!storage.IsPostgres(parse) && !File.Exists(RegistryStorage.SqliteFile(folder)))
            {
                Console.Error.WriteLine("住民基本台帳がありません。先に renkei registry seed か renkei up を実行してください / " +
                    "no register in this data folder; run renkei registry seed or renkei up first");
                return 1;
            }
            var database = storage.Open(parse, folder);
            var wanted = parse.GetValue(municipality) is { } text ? LocalGovernmentCode.Parse(text) : (LocalGovernmentCode?)null;
            var code = wanted?.Digits;
            // A municipality added with PUT /api/municipalities/{code} is on the register as much as a demo one; a well-formed code
            // the register lacks is one line, not the whole help.
            if (wanted is { } m && !await OnRegisterAsync(database, m))
            {
                Console.Error.WriteLine($"市区町村 {code} は住民基本台帳に登録されていません / no municipality {code} on the register");
                return 1;
            }
            // Ctrl+C and SIGTERM stop it after a whole row (Interruption.cs): the runtime's own ending cut the last row short.
            using var interrupt = new Interruption(ct);
            return outPath is null ? await ToStandardOutputAsync(database, code, interrupt) : await ToFileAsync(database, code, outPath, interrupt);
        }));
        return command;
    }

    private static async Task<int> ToStandardOutputAsync(Database database, string? code, Interruption interrupt)
    {
        // `export > residents.csv` gets a file the shell made with the user's umask, which often lets every local user read it.
        if (StandardOutput.IsRegularFile())
            Console.Error.WriteLine("注意: 出力先のファイルには個人番号が平文で入ります。シェルが作ったファイルは他の利用者も読めることがあります。"
                + "--out FILE を使えば所有者だけが読めるファイルに書き出します / note: the output file will hold Individual Numbers in clear, and a file the shell "
                + "made may be readable by other users: use --out FILE, which writes a file readable by its owner only");
        var output = new StreamWriter(StandardOutput.Open(), new UTF8Encoding(false), 1 << 16);
        try
        {
            var (rows, stopped) = await RegistryExport.WriteAsync(database, code, output, interrupt.Token);
            if (!stopped) return 0;
            Console.Error.WriteLine($"中断しました。{rows:N0} 人分の行を書き出したところで止めました（最後の行まで完全です）/ "
                + $"interrupted after {rows:N0} whole rows: the output ends with a whole row, and the rest is not in it");
            return Interruption.ExitCode;
        }
        catch (IOException e) when (IoText.IsBrokenPipe(e))
        {
            // The reader went away (`… | head -1`): nothing more to write, and no one where it listened. Said by the exit code alone,
            // as a command ended by SIGPIPE is.
            return StandardOutput.ClosedPipeExitCode;
        }
        finally
        {
            // What is left to flush after a failure would fail the same way; the failure itself is already on its way.
            try { output.Dispose(); } catch (IOException) { }
        }
    }

    /// <summary>The export into <paramref name="path"/>: owner-only, and there only when whole (an interrupted one leaves nothing, and an older file as it was).</summary>
    private static async Task<int> ToFileAsync(Database database, string? code, string path, Interruption interrupt)
    {
        try
        {
            using var file = PrivateOutputFile.Create(path);
            long rows;
            bool stopped;
            await using (var writer = new StreamWriter(file.Stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true))
                (rows, stopped) = await RegistryExport.WriteAsync(database, code, writer, interrupt.Token);
            if (stopped)
            {
                Console.Error.WriteLine($"中断しました。{path} には何も書き出していません（既にあったファイルはそのままです）/ "
                    + $"interrupted after {rows:N0} rows: nothing was written to {path}, and a file already there is as it was");
                return Interruption.ExitCode;
            }
            file.Commit();
            Console.Error.WriteLine($"{rows:N0} 人分を {path} に書き出しました（所有者のみ読み書き可）/ wrote {rows:N0} residents to {path}, readable by its owner only");
            return 0;
        }
        catch (Exception e) when (IoText.IsWriteFailure(e) || e is UnauthorizedAccessException)
        {
            var (japanese, english) = IoText.Reason(e);
            Console.Error.WriteLine($"{path} に書き出せません（{japanese}）。既にあったファイルはそのままです / cannot write {path} ({english}); a file already there is as it was");
            return 1;
        }
    }

    private static async Task<bool> OnRegisterAsync(Database database, LocalGovernmentCode code)
    {
        await using var c = await database.OpenAsync(CancellationToken.None);
        return await Renkei.Registry.Residents.ResidentStore.MunicipalityExistsAsync(c, null, code);
    }

    private static async Task<long> CountResidentsAsync(Database database)
    {
        await using var c = await database.OpenAsync(CancellationToken.None);
        return await c.ScalarAsync<long>("SELECT COUNT(*) FROM residents");
    }

    /// <summary>Expected failures (a bad key file, an unreachable database) as one line for a person, not a stack trace.</summary>
    private static async Task<int> Guarded(Func<Task<int>> action)
    {
        try { return await action(); }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"番号生成鍵ファイルが不正です / the numbering key file is invalid: {e.Message}");
            return 1;
        }
        catch (System.Data.Common.DbException e)
        {
            Console.Error.WriteLine($"データベースを使えません / cannot use the database: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or TimeoutException)
        {
            Console.Error.WriteLine($"データベースに接続できません / cannot reach the database: {e.Message}");
            return 1;
        }
        catch (ArgumentException e)
        {
            // A setting the driver would not take (the connection string is read when the options are), not a server that is away.
            Console.Error.WriteLine($"データベースの設定を使えません / the database settings cannot be used: {e.Message}");
            return 1;
        }
    }
}
