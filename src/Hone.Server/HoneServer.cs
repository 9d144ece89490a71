using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Core;
using Hone.FineTuning;
using Hone.Models.Chat;
using Hone.Models;
using Hone.Tokenizers.ChatTemplates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hone.Server;

/// <summary>
/// OpenAI-compatible HTTP serving of a chat client (ASP.NET Core minimal API): <c>GET /v1/models</c>,
/// <c>POST /v1/chat/completions</c>, and <c>POST /v1/completions</c> when the client is a <see cref="LocalChatClient"/>.
/// Errors use OpenAI's error JSON; no request can crash the server.
/// </summary>
public sealed class HoneServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrencyGate _gate;

    private HoneServer(WebApplication app, ConcurrencyGate gate, Uri baseAddress, string modelId)
    {
        _app = app;
        _gate = gate;
        BaseAddress = baseAddress;
        ModelId = modelId;
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:8080/</c> (the real port when 0 was asked for).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Requests waiting for a generation slot now.</summary>
    public int QueueLength => _gate.Waiting;

    /// <summary>The model id served (the only one <c>model</c> may name).</summary>
    public string ModelId { get; }

    /// <summary>Starts serving <paramref name="client"/>; the caller keeps ownership of the client.</summary>
    public static Task<HoneServer> StartAsync(IChatClient client, ServerOptions options, string? modelId = null, CancellationToken cancellationToken = default) =>
        StartAsync(client, options, modelId, null, cancellationToken);

    /// <summary>
    /// Starts serving <paramref name="client"/> and, when <paramref name="fineTuning"/> is given, OpenAI's fine-tuning API
    /// (<c>/v1/files</c>, <c>/v1/fine_tuning/jobs</c>) with the tuned models served beside the base; the caller keeps
    /// ownership of both.
    /// </summary>
    public static async Task<HoneServer> StartAsync(IChatClient client, ServerOptions options, string? modelId, FineTuningService? fineTuning,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        modelId ??= client.GetService<ChatClientMetadata>()?.DefaultModelId ?? "local";
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Hone.Server", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (options.Host == "localhost")
            {
                k.ListenLocalhost(options.Port);
            }
            else
            {
                k.Listen(IPAddress.Parse(options.Host), options.Port);
            }

            k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        var gate = new ConcurrencyGate(options.MaxConcurrency, options.MaxQueue);
        var local = client.GetService<LocalChatClient>();
        var keyBytes = options.ApiKey is { } key ? Encoding.UTF8.GetBytes(key) : null;
        var errorLog = options.ErrorLog ?? Console.Error;

        app.Use(async (context, next) =>
        {
            try
            {
                if (keyBytes is not null && !Authorized(context.Request, keyBytes))
                {
                    await new OpenAiError(401, "Incorrect or missing API key: send 'Authorization: Bearer KEY' with the key given to hone serve --api-key.",
                        code: "invalid_api_key").WriteAsync(context).ConfigureAwait(false);
                    return;
                }

                await next(context).ConfigureAwait(false);
            }
            catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
            {
                await WriteErrorAsync(context, Translate(e, errorLog)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The client went away; nothing to answer.
            }
        });

        app.MapGet("/v1/models", (HttpContext context) => WriteJsonAsync(context, new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray([ModelJson(modelId), .. (fineTuning?.TunedModels() ?? []).Select(m => (JsonNode)ModelJson(m.Id, m.Created))]),
        }));
        app.MapGet("/v1/models/{id}", (HttpContext context, string id) =>
        {
            Resolve(id, modelId, client, fineTuning);
            return WriteJsonAsync(context, ModelJson(id));
        });
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            var request = RequestParser.ParseChat(await ReadBodyAsync(context).ConfigureAwait(false), options.MaxChoices);
            var target = Resolve(request.Model, modelId, client, fineTuning);
            using var lease = await EnterAsync(gate, context).ConfigureAwait(false);
            await ChatCompletionsEndpoint.HandleAsync(context, target, request.Model, request).ConfigureAwait(false);
        });
        app.MapPost("/v1/completions", async (HttpContext context) =>
        {
            if (local is null)
            {
                throw new OpenAiError(404, "This server's model offers chat completions only: use /v1/chat/completions.", code: "unsupported_endpoint");
            }

            var request = RequestParser.ParseCompletion(await ReadBodyAsync(context).ConfigureAwait(false), options.MaxChoices);
            CheckModel(request.Model, modelId);
            if (local.Tokenizer.BosId is null && request.Prompts.Any(p => p.Length == 0))
            {
                throw OpenAiError.Invalid("prompt", "This model's tokenizer has no BOS token, so an empty prompt cannot start generation; give some prompt text.");
            }

            using var lease = await EnterAsync(gate, context).ConfigureAwait(false);
            await CompletionsEndpoint.HandleAsync(context, local, modelId, request).ConfigureAwait(false);
        });
        if (fineTuning is not null) FineTuningEndpoints.Map(app, fineTuning);
        app.MapFallback((HttpContext context) => new OpenAiError(404,
            $"Unknown endpoint {context.Request.Method} {context.Request.Path}: this server offers GET /v1/models, POST /v1/chat/completions and POST /v1/completions"
            + (fineTuning is null ? "." : ", /v1/files and /v1/fine_tuning/jobs."),
            code: "unknown_url").WriteAsync(context));

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HoneServer(app, gate, new Uri(address.EndsWith('/') ? address : address + "/"), modelId);
    }

    /// <summary>Completes when the server stops (Ctrl+C, <paramref name="cancellationToken"/>, or disposal).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, cancellationToken);

    /// <summary>Stops serving (in-flight requests get a moment to finish).</summary>
    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private static JsonObject ModelJson(string id, long created = 0) => new()
    {
        ["id"] = id,
        ["object"] = "model",
        ["created"] = created,
        ["owned_by"] = "hone",
    };

    /// <summary>The client serving <paramref name="requested"/>: the base model, or a model a fine-tuning job made; 404 otherwise.</summary>
    private static IChatClient Resolve(string requested, string served, IChatClient client, FineTuningService? fineTuning)
    {
        if (requested == served) return client;
        if (fineTuning?.TunedModel(requested) is { } tuned) return tuned;
        throw new OpenAiError(404, $"The model '{requested}' does not exist; this server serves '{served}'"
            + (fineTuning is null ? "." : " and the models its fine-tuning jobs made (GET /v1/models lists them)."), param: "model", code: "model_not_found");
    }

    private static bool Authorized(HttpRequest request, byte[] key)
    {
        var header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var given = Encoding.UTF8.GetBytes(header[prefix.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, key);
    }

    private static void CheckModel(string requested, string served)
    {
        if (requested != served)
        {
            throw new OpenAiError(404, $"The model '{requested}' does not exist; this server serves '{served}'.", param: "model", code: "model_not_found");
        }
    }

    private static async Task<IDisposable> EnterAsync(ConcurrencyGate gate, HttpContext context)
    {
        if (await gate.TryEnterAsync(context.RequestAborted).ConfigureAwait(false) is { } lease) return lease;
        context.Response.Headers.RetryAfter = "1"; // clients that honour it (hone eval does) come back in a second
        throw new OpenAiError(429, "The server is busy: all generation slots are taken and the queue is full. Retry after a moment.",
            type: "requests", code: "rate_limit_exceeded");
    }

    internal static async Task<JsonElement> ReadBodyAsync(HttpContext context)
    {
        JsonElement root;
        try
        {
            using var doc = await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 64 }, context.RequestAborted).ConfigureAwait(false);
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, byte {(e.BytePositionInLine ?? 0) + 1}" : "";
            throw new OpenAiError(400, $"The request body is not valid JSON{where}: {FirstSentence(e.Message)}", code: "invalid_json");
        }

        // Invalid UTF-8 and lone surrogate escapes parse, but throw when read: refuse them here, naming the field.
        RequestText.Check(root);
        return root;
    }

    /// <summary>The parser's message without its .NET location suffix (" LineNumber: 0 | BytePositionInLine: 49.").</summary>
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var text = (cut > 0 ? message[..cut] : message).TrimEnd();
        return text.EndsWith('.') ? text : text + ".";
    }

    /// <summary>
    /// The answer to an exception. Only the request's own faults are 4xx (a <see cref="HoneException"/> by its kind:
    /// <see cref="OpenAiError.From"/>); anything else, an internal <see cref="HoneException"/> included, is a 500
    /// that names no .NET type and no internal message (those go to <paramref name="errorLog"/> under a reference the
    /// client is given). An <see cref="ArgumentException"/> from inside the engine is a bug, not a bad request: the
    /// request's faults are found by <see cref="RequestParser"/> and <see cref="RequestText"/> as <see cref="OpenAiError"/>.
    /// </summary>
    private static OpenAiError Translate(Exception e, TextWriter errorLog)
    {
        switch (e)
        {
            case OpenAiError o:
                return o;
            case FineTuningException f:
                return FineTuningEndpoints.Error(f);
            case BadHttpRequestException b when b.StatusCode == StatusCodes.Status413PayloadTooLarge:
                return new OpenAiError(413, "The request body is too large.", code: "request_too_large");
            case BadHttpRequestException b:
                return new OpenAiError(b.StatusCode, b.Message);
            case ContextOverflowException c:
                return new OpenAiError(400, c.Message, param: "messages", code: "context_length_exceeded");
            case ChatTemplateException t:
                return new OpenAiError(400, "The model's chat template rejected the messages: " + t.Message, param: "messages");
            case HoneException h when h.Kind != ErrorKind.Internal:
                return OpenAiError.From(h);
        }

        var reference = Guid.NewGuid().ToString("N")[..12];
        lock (errorLog)
        {
            errorLog.WriteLine($"hone serve: internal error, reference {reference}: {e}");
            errorLog.Flush();
        }

        return new OpenAiError(500, $"The server failed to answer the request (an internal error; the server log has it under reference {reference}).",
            type: "server_error", code: "internal_error");
    }

    private static async Task WriteErrorAsync(HttpContext context, OpenAiError error)
    {
        if (!context.Response.HasStarted)
        {
            await error.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        // Mid-stream: the status is sent; report the error as a final event.
        if (context.Response.ContentType?.StartsWith("text/event-stream", StringComparison.Ordinal) == true)
        {
            await context.Response.WriteAsync("data: " + error.ToJson().ToJsonString() + "\n\n", context.RequestAborted).ConfigureAwait(false);
        }
    }

    internal static Task WriteJsonAsync(HttpContext context, JsonNode body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
