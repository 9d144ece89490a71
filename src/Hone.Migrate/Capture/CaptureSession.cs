using Hone.Store;

namespace Hone.Migrate.Capture;

/// <summary>What <c>hone migrate capture</c> was asked to do.</summary>
/// <param name="Folder">The migration folder.</param>
/// <param name="Options">Provider, model, sampling settings, limits, prices.</param>
/// <param name="Inputs">Input files (chat examples or texts); may be empty with <paramref name="FromFiles"/>.</param>
/// <param name="Pull">Pull the files and jobs through the fine-tuning API first.</param>
/// <param name="FromFiles">Use the prompts of the pulled training files (of the job that made the model, when one did) as inputs.</param>
public sealed record CaptureRequest(string Folder, CaptureOptions Options, IReadOnlyList<string> Inputs, bool Pull, bool FromFiles);

/// <summary>
/// The capture step as the CLI drives it: <see cref="PrepareAsync"/> pulls what was asked, reads the inputs and
/// estimates (nothing is sent to the chat endpoint), then <see cref="RunAsync"/> captures.
/// </summary>
public sealed class CaptureSession
{
    private CaptureSession(MigrationFolder folder, Capturer capturer, IReadOnlyList<CaseInput> inputs, CaptureEstimate estimate, PullResult? pulled)
    {
        Folder = folder;
        Capturer = capturer;
        Inputs = inputs;
        Estimate = estimate;
        Pulled = pulled;
    }

    /// <summary>The migration folder.</summary>
    public MigrationFolder Folder { get; }

    /// <summary>The capturer.</summary>
    public Capturer Capturer { get; }

    /// <summary>The inputs to capture.</summary>
    public IReadOnlyList<CaseInput> Inputs { get; }

    /// <summary>The estimate.</summary>
    public CaptureEstimate Estimate { get; }

    /// <summary>What was pulled, when asked.</summary>
    public PullResult? Pulled { get; }

    /// <summary>Pulls (when asked), reads the inputs and estimates.</summary>
    public static async Task<CaptureSession> PrepareAsync(Workspace workspace, CaptureRequest request, Func<string, string?>? environment = null,
        HttpMessageHandler? handler = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Inputs.Count == 0 && !request.FromFiles) throw new MigrateException("Give --inputs FILE (chat examples or texts), or --from-files to use the training files pulled through the fine-tuning API.");
        if (request.FromFiles && !request.Pull && !Directory.Exists(new MigrationFolder(request.Folder).PulledDir))
            throw new MigrateException("--from-files needs the pulled files: add --pull.");
        var folder = new MigrationFolder(request.Folder);
        var capturer = new Capturer(folder, workspace.Config, request.Options, environment);
        PullResult? pulled = null;
        if (request.Pull)
        {
            var provider = workspace.Config.Providers[request.Options.Provider];
            var key = provider.ApiKeyEnv is { Length: > 0 } env ? (environment ?? Environment.GetEnvironmentVariable)(env) : null;
            using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
            http.Timeout = TimeSpan.FromMinutes(5);
            pulled = await new FineTuningPull(http, new Uri(provider.BaseUrl), key).PullAsync(folder.PulledDir, cancellationToken).ConfigureAwait(false);
        }
        var inputs = new List<CaseInput>();
        foreach (var path in request.Inputs) inputs.AddRange(CaseInputReader.Read(path, request.Inputs.Count > 1 ? Path.GetFileNameWithoutExtension(path) + ":" : null));
        if (request.FromFiles)
        {
            pulled ??= ReadIndex(folder);
            var files = FineTuningPull.TrainingFilesFor(pulled, request.Options.Model);
            if (files.Count == 0) throw new MigrateException($"No fine-tuning files were pulled from {workspace.Config.Providers[request.Options.Provider].BaseUrl}; give --inputs FILE.");
            foreach (var f in files) inputs.AddRange(CaseInputReader.Read(f, Path.GetFileNameWithoutExtension(f) + ":"));
        }
        var dup = inputs.GroupBy(i => i.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new MigrateException($"The id '{dup.Key}' appears in two inputs; ids must be unique across the inputs.");
        return new CaptureSession(folder, capturer, inputs, capturer.Estimate(inputs), pulled);
    }

    /// <summary>Captures every input not yet captured.</summary>
    public Task<CaptureResult> RunAsync(RunStore? store, IProgress<int>? progress = null, CancellationToken cancellationToken = default) =>
        Capturer.RunAsync(Inputs, store, progress, cancellationToken);

    private static PullResult ReadIndex(MigrationFolder folder)
    {
        var index = MigrationFolder.ReadJson(Path.Combine(folder.PulledDir, "index.json"), "capture --pull");
        return System.Text.Json.JsonSerializer.Deserialize<PullResult>(index.ToJsonString(), CaptureFile.JsonOptions)
            ?? throw new MigrateException($"{folder.PulledDir}/index.json: unreadable; pull again with --pull.");
    }
}
