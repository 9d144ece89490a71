using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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
    public static async Task<HoneServer> StartAsync(IChatClient client, ServerOptions options, string? modelId = null, CancellationToken cancellationToken = default)
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
                await WriteErrorAsync(context, Translate(e)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The client went away; nothing to answer.
            }
        });

        app.MapGet("/v1/models", (HttpContext context) => WriteJsonAsync(context, new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray { ModelJson(modelId) },
        }));
        app.MapGet("/v1/models/{id}", (HttpContext context, string id) => id == modelId
            ? WriteJsonAsync(context, ModelJson(modelId))
            : new OpenAiError(404, $"The model '{id}' does not exist; this server serves '{modelId}'.", param: "model", code: "model_not_found").WriteAsync(context));
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            var request = RequestParser.ParseChat(await ReadBodyAsync(context).ConfigureAwait(false), options.MaxChoices);
            CheckModel(request.Model, modelId);
            using var lease = await EnterAsync(gate, context).ConfigureAwait(false);
            await ChatCompletionsEndpoint.HandleAsync(context, client, modelId, request).ConfigureAwait(false);
        });
        app.MapPost("/v1/completions", async (HttpContext context) =>
        {
            if (local is null)
            {
                throw new OpenAiError(404, "This server's model offers chat completions only: use /v1/chat/completions.", code: "unsupported_endpoint");
            }

            var request = RequestParser.ParseCompletion(await ReadBodyAsync(context).ConfigureAwait(false), options.MaxChoices);
            CheckModel(request.Model, modelId);
            using var lease = await EnterAsync(gate, context).ConfigureAwait(false);
            await CompletionsEndpoint.HandleAsync(context, local, modelId, request).ConfigureAwait(false);
        });
        app.MapFallback((HttpContext context) => new OpenAiError(404,
            $"Unknown endpoint {context.Request.Method} {context.Request.Path}: this server offers GET /v1/models, POST /v1/chat/completions and POST /v1/completions.",
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

    private static JsonObject ModelJson(string id) => new()
    {
        ["id"] = id,
        ["object"] = "model",
        ["created"] = 0,
        ["owned_by"] = "hone",
    };

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

    private static async Task<IDisposable> EnterAsync(ConcurrencyGate gate, HttpContext context) =>
        await gate.TryEnterAsync(context.RequestAborted).ConfigureAwait(false)
        ?? throw new OpenAiError(429, "The server is busy: all generation slots are taken and the queue is full. Retry after a moment.",
            type: "requests", code: "rate_limit_exceeded");

    private static async Task<JsonElement> ReadBodyAsync(HttpContext context)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 64 }, context.RequestAborted).ConfigureAwait(false);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new OpenAiError(400, $"The request body is not valid JSON ({e.Message}).", code: "invalid_json");
        }
    }

    private static OpenAiError Translate(Exception e) => e switch
    {
        OpenAiError o => o,
        BadHttpRequestException b when b.StatusCode == StatusCodes.Status413PayloadTooLarge =>
            new OpenAiError(413, "The request body is too large.", code: "request_too_large"),
        BadHttpRequestException b => new OpenAiError(b.StatusCode, b.Message),
        ContextOverflowException c => new OpenAiError(400, c.Message, param: "messages", code: "context_length_exceeded"),
        ChatTemplateException t => new OpenAiError(400, "The model's chat template rejected the messages: " + t.Message, param: "messages"),
        ArgumentException a => new OpenAiError(400, a.Message),
        _ => new OpenAiError(500, $"Internal error ({e.GetType().Name}): {e.Message}", type: "server_error"),
    };

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

    private static Task WriteJsonAsync(HttpContext context, JsonNode body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
