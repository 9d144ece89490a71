using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Hone.Remote.Tests;

/// <summary>
/// Replays a recorded exchange file: each request must be the next one recorded (method, path; '*' stands for an id the
/// client makes up), its JSON body or form fields equal to the recorded ones field by field (no field missing, none extra),
/// and it gets the recorded response. Requests to storage.example (signed download URLs) get the file name back as content.
/// </summary>
internal sealed class FixtureHandler : HttpMessageHandler
{
    private readonly Queue<JsonObject> _exchanges;

    public FixtureHandler(string fixture)
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture)))!;
        _exchanges = new Queue<JsonObject>(root["exchanges"]!.AsArray().Select(e => e!.AsObject()));
    }

    public List<string> Log { get; } = [];

    public int Remaining => _exchanges.Count;

    public Dictionary<string, byte[]> Downloads { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        if (uri.Host == "storage.example")
        {
            Assert.Null(request.Headers.Authorization); // the key never goes to a signed URL
            var name = uri.AbsolutePath.Split('/')[^1];
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Downloads.TryGetValue(name, out var b) ? b : Encoding.UTF8.GetBytes("file:" + name)) };
        }
        Assert.Equal("Bearer", request.Headers.Authorization?.Scheme);
        Assert.True(_exchanges.Count > 0, $"unexpected request {request.Method} {uri}");
        var e = _exchanges.Dequeue();
        var path = Uri.UnescapeDataString(uri.AbsolutePath) + (uri.Query.Length > 0 && ((string)e["path"]!).Contains('?', StringComparison.Ordinal) ? uri.Query : "");
        Log.Add($"{request.Method} {path}");
        Assert.Equal((string)e["method"]!, request.Method.Method);
        Assert.True(Matches((string)e["path"]!, path), $"path {path} is not the recorded {(string)e["path"]!}");
        if (e["body"] is JsonObject expected)
        {
            var actual = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!.AsObject();
            AssertSame(expected, actual, "$");
        }
        if (e["form"] is JsonObject form)
        {
            var parts = Assert.IsType<MultipartFormDataContent>(request.Content);
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            bool file = false;
            foreach (var part in parts)
            {
                var name = part.Headers.ContentDisposition!.Name!.Trim('"');
                if (name == "file") file = part.Headers.ContentDisposition.FileName is not null;
                else fields[name] = await part.ReadAsStringAsync(cancellationToken);
            }
            Assert.True(file, "the upload has no file part");
            Assert.Equal(form.Select(kv => kv.Key).Order(StringComparer.Ordinal), fields.Keys.Order(StringComparer.Ordinal));
            foreach (var (k, v) in form) Assert.Equal((string)v!, fields[k]);
        }
        var response = e["response"]!.DeepClone();
        if (e["download"] is JsonValue d && Downloads.TryGetValue((string)d!, out var bytes))
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(bytes) };
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Fill(response).ToJsonString(), Encoding.UTF8, "application/json") };
    }

    /// <summary>Asserts <paramref name="actual"/> has exactly the recorded fields with the recorded values.</summary>
    public void AssertSame(JsonObject expected, JsonObject actual, string at)
    {
        Assert.Equal(expected.Select(kv => kv.Key).Order(StringComparer.Ordinal), actual.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        foreach (var (key, value) in expected)
        {
            var a = actual[key];
            switch (value)
            {
                case JsonObject o:
                    AssertSame(o, Assert.IsType<JsonObject>(a), at + "." + key);
                    break;
                case JsonValue v when v.TryGetValue<string>(out var s):
                    Assert.True(a is JsonValue av && av.TryGetValue<string>(out var sa) && Matches(s, sa), $"{at}.{key}: expected {s}, got {a?.ToJsonString()}");
                    break;
                case JsonValue v:
                    Assert.True(a is JsonValue n && n.TryGetValue<double>(out var da) && v.TryGetValue<double>(out var de) && da == de, $"{at}.{key}: expected {v.ToJsonString()}, got {a?.ToJsonString()}");
                    break;
                default:
                    Assert.Equal(value?.ToJsonString(), a?.ToJsonString());
                    break;
            }
        }
    }

    private string? _star;

    /// <summary>'*' matches one path segment (an id the client makes); every '*' of one file is the same id.</summary>
    private bool Matches(string pattern, string value)
    {
        int star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0) return pattern == value;
        var prefix = pattern[..star];
        var suffix = pattern[(star + 1)..];
        if (!value.StartsWith(prefix, StringComparison.Ordinal) || !value.EndsWith(suffix, StringComparison.Ordinal) || value.Length < prefix.Length + suffix.Length) return false;
        var id = value[prefix.Length..(value.Length - suffix.Length)];
        if (id.Length == 0 || id.Contains('/', StringComparison.Ordinal)) return false;
        _star ??= id;
        return _star == id;
    }

    private JsonNode Fill(JsonNode node) => JsonNode.Parse(node.ToJsonString().Replace("*", _star ?? "", StringComparison.Ordinal))!;
}
