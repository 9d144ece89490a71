using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Hone.Store;

namespace Hone.Migrate.Capture;

/// <summary>What <see cref="FineTuningPull"/> saved.</summary>
/// <param name="Folder">Where (files/, jobs/, index.json).</param>
/// <param name="Files">Training files saved (id, file name, bytes).</param>
/// <param name="Jobs">Fine-tuning jobs saved (id, model, status, training file).</param>
public sealed record PullResult(string Folder, IReadOnlyList<PulledFile> Files, IReadOnlyList<PulledJob> Jobs);

/// <summary>A file pulled from <c>/v1/files</c>.</summary>
public sealed record PulledFile(string Id, string FileName, string Purpose, long Bytes, string Path);

/// <summary>A job pulled from <c>/v1/fine_tuning/jobs</c>, with its events and checkpoints.</summary>
public sealed record PulledJob(string Id, string? FineTunedModel, string? Status, string? TrainingFile, string? ValidationFile, int Events, int Checkpoints, string Path);

/// <summary>
/// Pulls what a team owns from an OpenAI-compatible fine-tuning API before the hosted models go: the uploaded
/// fine-tuning files (<c>GET /files?purpose=fine-tune</c>, <c>GET /files/{id}/content</c>) and every job
/// (<c>GET /fine_tuning/jobs</c>, paged with <c>after</c>) with its events and checkpoints (and their metrics). Typed
/// HTTP on OpenAI's shapes; a 429 or 5xx is retried after Retry-After (or a backoff). Files are written atomically; the
/// key goes only into the Authorization header.
/// </summary>
public sealed class FineTuningPull(HttpClient http, Uri baseUrl, string? apiKey)
{
    /// <summary>Most pages followed per listing.</summary>
    public const int MaxPages = 1000;

    /// <summary>Retries of a 429 or 5xx.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>Pulls everything into <paramref name="folder"/>.</summary>
    public async Task<PullResult> PullAsync(string folder, CancellationToken ct = default)
    {
        var filesDir = Path.Combine(folder, "files");
        var jobsDir = Path.Combine(folder, "jobs");
        Directory.CreateDirectory(filesDir);
        Directory.CreateDirectory(jobsDir);
        var files = new List<PulledFile>();
        foreach (var f in await ListAsync("files?purpose=fine-tune", paged: false, ct).ConfigureAwait(false))
        {
            var id = Str(f, "id") ?? throw new MigrateException("The files listing has an entry without an id.");
            var purpose = Str(f, "purpose") ?? "";
            if (purpose is not ("fine-tune" or "fine-tune-results")) continue;
            var name = Str(f, "filename") ?? id + ".jsonl";
            var path = Path.Combine(filesDir, Safe(id) + "-" + Safe(Path.GetFileName(name)));
            var bytes = await GetBytesAsync($"files/{Uri.EscapeDataString(id)}/content", ct).ConfigureAwait(false);
            AtomicFile.WriteAllBytes(path, bytes);
            files.Add(new PulledFile(id, name, purpose, bytes.Length, path));
        }
        var jobs = new List<PulledJob>();
        foreach (var j in await ListAsync("fine_tuning/jobs?limit=100", paged: true, ct).ConfigureAwait(false))
        {
            var id = Str(j, "id") ?? throw new MigrateException("The jobs listing has an entry without an id.");
            var events = await ListAsync($"fine_tuning/jobs/{Uri.EscapeDataString(id)}/events?limit=100", paged: true, ct).ConfigureAwait(false);
            var checkpoints = await ListAsync($"fine_tuning/jobs/{Uri.EscapeDataString(id)}/checkpoints?limit=100", paged: true, ct, optional: true).ConfigureAwait(false);
            var record = new JsonObject
            {
                ["job"] = j.DeepClone(),
                ["events"] = new JsonArray([.. events.Select(e => e.DeepClone())]),
                ["checkpoints"] = new JsonArray([.. checkpoints.Select(c => c.DeepClone())]),
            };
            var path = Path.Combine(jobsDir, Safe(id) + ".json");
            MigrationFolder.WriteJson(path, record);
            jobs.Add(new PulledJob(id, Str(j, "fine_tuned_model"), Str(j, "status"), Str(j, "training_file"), Str(j, "validation_file"), events.Count, checkpoints.Count, path));
        }
        var result = new PullResult(Path.GetFullPath(folder), files, jobs);
        MigrationFolder.WriteJson(Path.Combine(folder, "index.json"), System.Text.Json.JsonSerializer.SerializeToNode(result, CaptureFile.JsonOptions)!);
        return result;
    }

    /// <summary>The pulled training files of the job that made <paramref name="model"/> (all fine-tuning files when no job names it).</summary>
    public static IReadOnlyList<string> TrainingFilesFor(PullResult pulled, string model)
    {
        ArgumentNullException.ThrowIfNull(pulled);
        var job = pulled.Jobs.FirstOrDefault(j => j.FineTunedModel == model);
        var wanted = job is null ? null : new[] { job.TrainingFile, job.ValidationFile }.Where(x => x is not null).ToHashSet(StringComparer.Ordinal);
        return [.. pulled.Files.Where(f => f.Purpose == "fine-tune" && (wanted is null || wanted.Contains(f.Id))).Select(f => f.Path)];
    }

    private async Task<List<JsonObject>> ListAsync(string relative, bool paged, CancellationToken ct, bool optional = false)
    {
        var all = new List<JsonObject>();
        string? after = null;
        for (int page = 0; page < MaxPages; page++)
        {
            var url = after is null ? relative : relative + (relative.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "after=" + Uri.EscapeDataString(after);
            var body = await GetBytesAsync(url, ct, optional).ConfigureAwait(false);
            if (body.Length == 0) return all; // optional endpoint the server does not offer
            var root = JsonNode.Parse(body) as JsonObject ?? throw new MigrateException($"{url}: expected a JSON object with 'data'.");
            var data = root["data"] as JsonArray ?? throw new MigrateException($"{url}: expected a 'data' list.");
            var items = data.OfType<JsonObject>().ToList();
            all.AddRange(items);
            if (!paged || root["has_more"]?.GetValue<bool>() != true || items.Count == 0) return all;
            after = Str(items[^1], "id");
        }
        throw new MigrateException($"{relative}: more than {MaxPages} pages.");
    }

    private async Task<byte[]> GetBytesAsync(string relative, CancellationToken ct, bool optional = false)
    {
        var url = new Uri(new Uri(baseUrl.ToString().TrimEnd('/') + "/"), relative);
        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (!string.IsNullOrEmpty(apiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (optional && response.StatusCode == HttpStatusCode.NotFound) return [];
            if ((status == 429 || status >= 500) && attempt < MaxRetries)
            {
                await Task.Delay(RetryDelay(response, attempt), ct).ConfigureAwait(false);
                continue;
            }
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw new MigrateException($"GET {url.AbsolutePath}: HTTP {status}: {(text.Length > 300 ? text[..300] : text)}");
        }
    }

    private static TimeSpan RetryDelay(HttpResponseMessage response, int attempt)
    {
        if (response.Headers.RetryAfter is { } ra)
        {
            if (ra.Delta is { } d) return d < TimeSpan.FromSeconds(60) ? d : TimeSpan.FromSeconds(60);
            if (ra.Date is { } date) return TimeSpan.FromSeconds(Math.Clamp((date - DateTimeOffset.UtcNow).TotalSeconds, 0, 60));
        }
        return TimeSpan.FromMilliseconds(500 * Math.Pow(2, attempt));
    }

    private static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string Safe(string s) => string.Concat(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
