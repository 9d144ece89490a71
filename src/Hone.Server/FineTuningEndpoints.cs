using System.Globalization;
using System.Text.Json.Nodes;
using Hone.FineTuning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Hone.Server;

/// <summary>
/// OpenAI's fine-tuning API over <see cref="FineTuningService"/>: <c>/v1/files</c> (upload with purpose fine-tune, list,
/// retrieve, content, delete) and <c>/v1/fine_tuning/jobs</c> (create, list, retrieve, cancel, pause, resume, events,
/// checkpoints), in OpenAI's JSON shapes; refusals use OpenAI's error shape.
/// </summary>
internal static class FineTuningEndpoints
{
    /// <summary>Maps the routes.</summary>
    public static void Map(WebApplication app, FineTuningService ft)
    {
        app.MapPost("/v1/files", async (HttpContext context) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = FineTuningService.MaxFileBytes;
            if (!context.Request.HasFormContentType)
                throw OpenAiError.Invalid("file", "Upload the file as multipart/form-data with fields 'file' and 'purpose'.");
            var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            var file = form.Files.GetFile("file") ?? throw new OpenAiError(400, "Missing required parameter: 'file'.", param: "file", code: "missing_required_parameter");
            var purpose = form["purpose"].ToString();
            if (purpose.Length == 0) throw new OpenAiError(400, "Missing required parameter: 'purpose'.", param: "purpose", code: "missing_required_parameter");
            await using var stream = file.OpenReadStream();
            var record = await Task.Run(() => ft.Upload(file.FileName, purpose, stream), context.RequestAborted).ConfigureAwait(false);
            await HoneServer.WriteJsonAsync(context, FileJson(record)).ConfigureAwait(false);
        });
        app.MapGet("/v1/files", (HttpContext context) =>
        {
            var purpose = context.Request.Query["purpose"].ToString();
            var files = ft.ListFiles().Where(f => purpose.Length == 0 || f.Purpose == purpose).Select(f => (JsonNode)FileJson(f)).ToArray();
            return HoneServer.WriteJsonAsync(context, List(files, false));
        });
        app.MapGet("/v1/files/{id}", (HttpContext context, string id) => HoneServer.WriteJsonAsync(context, FileJson(ft.GetFile(id))));
        app.MapGet("/v1/files/{id}/content", async (HttpContext context, string id) =>
        {
            var f = ft.GetFile(id);
            context.Response.ContentType = "application/octet-stream";
            await context.Response.SendFileAsync(f.Path, context.RequestAborted).ConfigureAwait(false);
        });
        app.MapDelete("/v1/files/{id}", (HttpContext context, string id) =>
        {
            ft.DeleteFile(id);
            return HoneServer.WriteJsonAsync(context, new JsonObject { ["id"] = id, ["object"] = "file", ["deleted"] = true });
        });

        app.MapPost("/v1/fine_tuning/jobs", async (HttpContext context) =>
        {
            var request = JobRequest.Parse(await HoneServer.ReadBodyAsync(context).ConfigureAwait(false));
            await HoneServer.WriteJsonAsync(context, JobJson(ft.Create(request), ft)).ConfigureAwait(false);
        });
        app.MapGet("/v1/fine_tuning/jobs", (HttpContext context) =>
        {
            var (jobs, more) = ft.ListJobs(After(context), Limit(context));
            return HoneServer.WriteJsonAsync(context, List([.. jobs.Select(j => (JsonNode)JobJson(j, ft))], more));
        });
        app.MapGet("/v1/fine_tuning/jobs/{id}", (HttpContext context, string id) => HoneServer.WriteJsonAsync(context, JobJson(ft.GetJob(id), ft)));
        app.MapPost("/v1/fine_tuning/jobs/{id}/cancel", (HttpContext context, string id) => HoneServer.WriteJsonAsync(context, JobJson(ft.Cancel(id), ft)));
        app.MapPost("/v1/fine_tuning/jobs/{id}/pause", (HttpContext context, string id) => HoneServer.WriteJsonAsync(context, JobJson(ft.Pause(id), ft)));
        app.MapPost("/v1/fine_tuning/jobs/{id}/resume", (HttpContext context, string id) => HoneServer.WriteJsonAsync(context, JobJson(ft.Resume(id), ft)));
        app.MapGet("/v1/fine_tuning/jobs/{id}/events", (HttpContext context, string id) =>
        {
            var (events, more) = ft.ListEvents(id, After(context), Limit(context));
            return HoneServer.WriteJsonAsync(context, List([.. events.Select(e => (JsonNode)EventJson(e))], more));
        });
        app.MapGet("/v1/fine_tuning/jobs/{id}/checkpoints", (HttpContext context, string id) =>
        {
            var (checkpoints, more) = ft.ListCheckpoints(id, After(context), Limit(context, 10));
            return HoneServer.WriteJsonAsync(context, List([.. checkpoints.Select(c => (JsonNode)CheckpointJson(c))], more));
        });
    }

    /// <summary>The error answer to a refused fine-tuning request.</summary>
    public static OpenAiError Error(FineTuningException e) => new(e.Status, e.Message, param: e.Param, code: e.Code);

    private static string? After(HttpContext context) => context.Request.Query["after"] is { Count: > 0 } a && a.ToString().Length > 0 ? a.ToString() : null;

    private static int Limit(HttpContext context, int fallback = 20)
    {
        var text = context.Request.Query["limit"].ToString();
        if (text.Length == 0) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 100 ? n
            : throw OpenAiError.Invalid("limit", $"limit '{text}' must be a whole number from 1 to 100.");
    }

    private static JsonObject List(JsonNode[] data, bool more) => new()
    {
        ["object"] = "list",
        ["data"] = new JsonArray(data),
        ["has_more"] = more,
        ["first_id"] = data.Length > 0 ? (string?)data[0]["id"] : null,
        ["last_id"] = data.Length > 0 ? (string?)data[^1]["id"] : null,
    };

    private static JsonObject FileJson(FileRecord f) => new()
    {
        ["id"] = f.Id,
        ["object"] = "file",
        ["bytes"] = f.Bytes,
        ["created_at"] = f.CreatedAt,
        ["expires_at"] = null,
        ["filename"] = f.Filename,
        ["purpose"] = f.Purpose,
        ["status"] = "processed",
        ["status_details"] = null,
    };

    private static JsonObject JobJson(JobRecord j, FineTuningService ft)
    {
        var hyper = JsonNode.Parse(j.HyperparametersJson)!.AsObject();
        var top = new JsonObject();
        foreach (var k in new[] { "n_epochs", "batch_size", "learning_rate_multiplier" }) top[k] = hyper[k]?.DeepClone() ?? "auto";
        var section = new JsonObject { ["hyperparameters"] = hyper.DeepClone() };
        if (j.GraderJson is not null) section["grader"] = JsonNode.Parse(j.GraderJson);
        return new JsonObject
        {
            ["object"] = "fine_tuning.job",
            ["id"] = j.Id,
            ["model"] = j.Model,
            ["created_at"] = j.CreatedAt,
            ["finished_at"] = j.FinishedAt,
            ["fine_tuned_model"] = j.FineTunedModel,
            ["organization_id"] = "org-hone",
            ["result_files"] = new JsonArray(),
            ["status"] = j.Status,
            ["validation_file"] = j.ValidationFile,
            ["training_file"] = j.TrainingFile,
            ["hyperparameters"] = top,
            ["trained_tokens"] = j.Status == JobStatus.Succeeded ? j.TrainedTokens : null,
            ["error"] = j.ErrorJson is null ? null : JsonNode.Parse(j.ErrorJson),
            ["user_provided_suffix"] = j.Suffix,
            ["seed"] = j.Seed,
            ["estimated_finish"] = null,
            ["integrations"] = new JsonArray(),
            ["metadata"] = j.MetadataJson is null ? null : JsonNode.Parse(j.MetadataJson),
            ["method"] = new JsonObject { ["type"] = j.Method, [j.Method] = section },
            ["hone"] = new JsonObject { ["run_folder"] = j.RunFolder, ["run_id"] = j.RunId, ["base_model"] = ft.Options.BaseModelPath },
        };
    }

    private static JsonObject EventJson(EventRecord e) => new()
    {
        ["object"] = "fine_tuning.job.event",
        ["id"] = e.Id,
        ["created_at"] = e.CreatedAt,
        ["level"] = e.Level,
        ["message"] = e.Message,
        ["data"] = e.DataJson is null ? new JsonObject() : JsonNode.Parse(e.DataJson),
        ["type"] = e.Type,
    };

    private static JsonObject CheckpointJson(JobCheckpoint c) => new()
    {
        ["object"] = "fine_tuning.job.checkpoint",
        ["id"] = c.Id,
        ["created_at"] = c.CreatedAt,
        ["fine_tuned_model_checkpoint"] = c.Model,
        ["step_number"] = c.Step,
        ["metrics"] = c.Metrics.DeepClone(),
        ["fine_tuning_job_id"] = c.JobId,
    };
}
