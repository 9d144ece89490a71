using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hone.Remote;

/// <summary>The small typed REST clients' transport: JSON and multipart requests with a bearer key; a refusal is a <see cref="RemoteException"/> with the service's message.</summary>
internal sealed class RestJson(HttpClient http, Uri baseUrl, string apiKey, string service)
{
    public Uri Url(string relative) => new(baseUrl.ToString().TrimEnd('/') + "/" + relative.TrimStart('/'));

    public Task<JsonObject> SendAsync(HttpMethod method, string relative, JsonObject? body, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, Url(relative));
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return ReadAsync(request, ct);
    }

    public async Task<JsonObject> UploadAsync(string relative, string path, IEnumerable<(string Name, string Value)> fields, CancellationToken ct)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        var file = new ByteArrayContent(await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", Path.GetFileName(path));
        return await ReadAsync(new HttpRequestMessage(HttpMethod.Post, Url(relative)) { Content = form }, ct).ConfigureAwait(false);
    }

    public async Task<HttpResponseMessage> GetStreamAsync(Uri url, bool authorize, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (authorize) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            response.Dispose();
            throw new RemoteException($"{service}: GET {url} answered {(int)response.StatusCode}: {Short(text)}");
        }
        return response;
    }

    private async Task<JsonObject> ReadAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new RemoteException($"{service}: {request.Method} {request.RequestUri!.AbsolutePath} answered {(int)response.StatusCode}: {Short(text)}");
            try
            {
                return JsonNode.Parse(text.Length == 0 ? "{}" : text) as JsonObject
                    ?? throw new RemoteException($"{service}: {request.RequestUri!.AbsolutePath} answered JSON that is not an object.");
            }
            catch (JsonException e)
            {
                throw new RemoteException($"{service}: {request.RequestUri!.AbsolutePath} answered something that is not JSON: {Short(text)}", e);
            }
        }
    }

    private static string Short(string text) => text.Length > 500 ? text[..500] + "…" : text;
}
