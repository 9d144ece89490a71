using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Hone.Migrate.Tests;

/// <summary>
/// A minimal stand-in for an OpenAI-compatible fine-tuning API on loopback (until <c>hone serve</c> offers
/// /v1/files and /v1/fine_tuning/jobs): one training file, two jobs listed over two pages (<c>has_more</c>/<c>after</c>),
/// events and checkpoints with metrics, and chat completions that answer with the upper-cased user text. Every request
/// needs the Bearer key; each is recorded.
/// </summary>
internal sealed class FineTuningApiDouble : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _cts = new();
    private readonly string _key;

    public FineTuningApiDouble(string key, string trainingFileContent)
    {
        _key = key;
        TrainingFile = trainingFileContent;
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/v1");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(Loop);
    }

    public Uri BaseUrl { get; }

    public string TrainingFile { get; }

    public List<string> Requests { get; } = [];

    public const string Model = "ft:gpt-4o-mini-2024-07-18:acme::abc123";

    private async Task Loop()
    {
        while (!_cts.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception) when (_cts.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            var path = ctx.Request.Url!.PathAndQuery;
            lock (Requests) Requests.Add(ctx.Request.HttpMethod + " " + path);
            using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync().ConfigureAwait(false);
            var (status, reply) = ctx.Request.Headers["Authorization"] != "Bearer " + _key
                ? (401, """{"error":{"message":"bad key","type":"invalid_request_error"}}""")
                : Route(ctx.Request.HttpMethod, ctx.Request.Url.AbsolutePath, ctx.Request.QueryString["after"], body);
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(reply);
            await ctx.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
            ctx.Response.Close();
        }
    }

    private (int, string) Route(string method, string path, string? after, string body) => (method, path) switch
    {
        ("GET", "/v1/files") => (200, """{"object":"list","data":[{"id":"file-train1","object":"file","bytes":100,"created_at":1700000000,"filename":"orders-train.jsonl","purpose":"fine-tune"},{"id":"file-other","object":"file","bytes":5,"created_at":1700000000,"filename":"batch.jsonl","purpose":"batch"}]}"""),
        ("GET", "/v1/files/file-train1/content") => (200, TrainingFile),
        ("GET", "/v1/fine_tuning/jobs") when after is null => (200, """{"object":"list","data":[{"id":"ftjob-1","object":"fine_tuning.job","model":"gpt-4o-mini-2024-07-18","fine_tuned_model":"ft:gpt-4o-mini-2024-07-18:acme::abc123","status":"succeeded","training_file":"file-train1","validation_file":null,"hyperparameters":{"n_epochs":3}}],"has_more":true}"""),
        ("GET", "/v1/fine_tuning/jobs") when after == "ftjob-1" => (200, """{"object":"list","data":[{"id":"ftjob-0","object":"fine_tuning.job","model":"gpt-4o-mini-2024-07-18","fine_tuned_model":null,"status":"failed","training_file":"file-gone","validation_file":null}],"has_more":false}"""),
        ("GET", "/v1/fine_tuning/jobs/ftjob-1/events") => (200, """{"object":"list","data":[{"id":"ev-2","object":"fine_tuning.job.event","level":"info","message":"The job has successfully completed","created_at":1700000300},{"id":"ev-1","object":"fine_tuning.job.event","level":"info","message":"Step 10/30: training loss=0.41","created_at":1700000200,"data":{"step":10,"train_loss":0.41}}],"has_more":false}"""),
        ("GET", "/v1/fine_tuning/jobs/ftjob-0/events") => (200, """{"object":"list","data":[{"id":"ev-0","object":"fine_tuning.job.event","level":"error","message":"Training file invalid","created_at":1700000100}],"has_more":false}"""),
        ("GET", "/v1/fine_tuning/jobs/ftjob-1/checkpoints") => (200, """{"object":"list","data":[{"id":"ftckpt-1","object":"fine_tuning.job.checkpoint","fine_tuned_model_checkpoint":"ft:gpt-4o-mini-2024-07-18:acme::abc123:ckpt-step-30","step_number":30,"metrics":{"train_loss":0.12,"valid_loss":0.2,"full_valid_mean_token_accuracy":0.91},"fine_tuning_job_id":"ftjob-1"}],"has_more":false}"""),
        ("GET", "/v1/fine_tuning/jobs/ftjob-0/checkpoints") => (404, """{"error":{"message":"no checkpoints","type":"invalid_request_error"}}"""),
        ("POST", "/v1/chat/completions") => (200, Answer(body)),
        _ => (404, """{"error":{"message":"unknown path","type":"invalid_request_error"}}"""),
    };

    private static string Answer(string body)
    {
        var request = JsonNode.Parse(body)!;
        var user = request["messages"]!.AsArray().Last(m => (string?)m!["role"] == "user")!["content"]!.ToString();
        return FakeOpenAiServerCompletion(user.ToUpperInvariant());
    }

    private static string FakeOpenAiServerCompletion(string text) => Hone.Evals.Tests.Providers.FakeOpenAiServer.Completion(text, prompt: 20, completion: 4);

    public void Dispose()
    {
        _cts.Cancel();
        _listener.Close();
        _cts.Dispose();
    }
}
