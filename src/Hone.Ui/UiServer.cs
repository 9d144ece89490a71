using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Hone.Core;
using Hone.Store;
using Hone.Ui.Data;
using Hone.Ui.Pages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hone.Ui;

/// <summary>Options of <c>hone ui</c>.</summary>
public sealed record UiOptions
{
    /// <summary>The address to bind: loopback unless an API key is given too.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port (0: any free port).</summary>
    public int Port { get; init; } = 8787;

    /// <summary>The key every request must carry (header <c>Authorization: Bearer KEY</c>, or the cookie set by <c>/login?key=KEY</c>).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Checks the options: a non-loopback address needs an API key.</summary>
    /// <exception cref="HoneException">(input) A bad port, host, or a non-loopback host without a key.</exception>
    public UiOptions Validate()
    {
        if (Port is < 0 or > 65535) throw new HoneException(ErrorKind.Input, $"--port {Port} must be 0..65535 (0: any free port).");
        if (Host != "localhost" && !IPAddress.TryParse(Host, out _)) throw new HoneException(ErrorKind.Input, $"--host '{Host}' is not an IP address (or localhost).");
        if (!IsLoopback && string.IsNullOrEmpty(ApiKey))
            throw new HoneException(ErrorKind.Input, $"--host {Host} would expose the workspace beyond this machine: give --api-key too (or leave --host out to stay on 127.0.0.1).");
        return this;
    }

    /// <summary>Whether the address is this machine only.</summary>
    public bool IsLoopback => Host == "localhost" || (IPAddress.TryParse(Host, out var ip) && IPAddress.IsLoopback(ip));
}

/// <summary>
/// <c>hone ui</c>: a local web dashboard over a workspace, served by ASP.NET Core from the CLI's process. Pages are
/// rendered on the server (HTML with every value encoded, SVG charts); one small script (<c>/assets/app.js</c>) polls
/// for changes and re-renders the page body, adds keyboard shortcuts and the theme switch. The only writes are
/// edit-to-teach saves, which go through <see cref="Hone.Data.Teach.TeachWriter"/> (atomic) into the workspace's data folder.
/// </summary>
public sealed class UiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly UiWorkspace _ws;

    private UiServer(WebApplication app, UiWorkspace ws, Uri baseAddress)
    {
        _app = app;
        _ws = ws;
        BaseAddress = baseAddress;
    }

    /// <summary>Where it listens (the real port when 0 was asked for).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Starts serving <paramref name="workspace"/>.</summary>
    public static async Task<UiServer> StartAsync(Workspace workspace, UiOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Hone.Ui", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (options.Host == "localhost") k.Listen(IPAddress.Loopback, options.Port);
            else k.Listen(IPAddress.Parse(options.Host), options.Port);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 4 << 20;
        });
        var app = builder.Build();
        var ws = new UiWorkspace(workspace);
        var csrf = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var key = options.ApiKey is { Length: > 0 } k ? Encoding.UTF8.GetBytes(k) : null;

        app.Use(async (context, next) =>
        {
            var h = context.Response.Headers;
            // Defence in depth behind the encoding: no inline script, no image or request to another origin (markdown-image exfiltration).
            h.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            h.XContentTypeOptions = "nosniff";
            h["Referrer-Policy"] = "no-referrer";
            if (key is not null && !Authorized(context, key))
            {
                if (context.Request.Path == "/login" && context.Request.Query["key"].ToString() is { Length: > 0 } given
                    && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), key))
                {
                    context.Response.Cookies.Append("hone_ui_key", given, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict });
                    context.Response.Redirect("/");
                    return;
                }
                context.Response.StatusCode = 401;
                await context.Response.WriteAsync("401: this hone ui needs its API key: open /login?key=KEY once, or send 'Authorization: Bearer KEY'.").ConfigureAwait(false);
                return;
            }
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HoneException or InvalidDataException or FileNotFoundException or ArgumentException && !context.Response.HasStarted)
            {
                context.Response.StatusCode = e is FileNotFoundException or HoneException { Kind: ErrorKind.NotFound }
                    || (e is WorkspaceException && e.Message.StartsWith("No run", StringComparison.Ordinal)) ? 404 : 400;
                await WriteHtml(context, Html.Page("Error", "", $"<h1>Cannot show this</h1><p class=\"error\">{Html.E(e.Message)}</p><p><a href=\"/\">Back to the runs</a></p>")).ConfigureAwait(false);
            }
        });

        app.MapGet("/assets/{name}", (string name) => Asset(name));
        app.MapGet("/api/version", (HttpContext c) => Results.Text(ws.Version(), "text/plain"));
        app.MapGet("/", (HttpContext c) => Respond(c, RunsPage.Render(ws, c.Request.Query)));
        app.MapGet("/runs/{id}", (HttpContext c, string id) => Respond(c, RunPage.Render(ws, id, c.Request.Query)));
        app.MapGet("/eval/{id}", (HttpContext c, string id) => Respond(c, EvalPage.Render(ws, id, c.Request.Query)));
        app.MapGet("/compare", (HttpContext c) => Respond(c, ComparePage.Render(ws, c.Request.Query)));
        app.MapGet("/train/{id}", (HttpContext c, string id) => Respond(c, TrainPage.Render(ws, id, c.Request.Query)));
        app.MapGet("/prompts", (HttpContext c) => Respond(c, PromptsPage.Render(ws, c.Request.Query)));
        app.MapGet("/studies", (HttpContext c) => Respond(c, StudiesPage.Index(ws, c.Request.Query)));
        app.MapGet("/studies/{name}", (HttpContext c, string name) => Respond(c, StudiesPage.Render(ws, name, c.Request.Query)));
        app.MapGet("/data", (HttpContext c) => Respond(c, DataPage.Render(ws, c.Request.Query)));
        app.MapGet("/teach/{id}", (HttpContext c, string id) => Respond(c, TeachPage.Render(ws, id, c.Request.Query, csrf)));
        app.MapPost("/api/diff", async (HttpContext c) =>
        {
            var form = await c.Request.ReadFormAsync().ConfigureAwait(false);
            return Results.Content(TeachPage.DiffHtml(form["old"].ToString(), form["new"].ToString()), "text/html; charset=utf-8");
        });
        app.MapPost("/teach/{id}", async (HttpContext c, string id) =>
        {
            var form = await c.Request.ReadFormAsync().ConfigureAwait(false);
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(form["csrf"].ToString()), Encoding.UTF8.GetBytes(csrf)))
                return Results.Text("403: the form is stale (the ui restarted); reload the page.", statusCode: 403);
            return Respond(c, TeachPage.Save(ws, id, form, csrf));
        });
        app.MapFallback((HttpContext c) => Results.Content(Html.Page("Not found", "", $"<h1>Not found</h1><p>{Html.E(c.Request.Path)}</p><p><a href=\"/\">Back to the runs</a></p>"),
            "text/html; charset=utf-8", statusCode: 404));

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ws.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new UiServer(app, ws, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    /// <summary>Completes when the server stops.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        _ws.Dispose();
    }

    private static bool Authorized(HttpContext c, byte[] key)
    {
        var auth = c.Request.Headers.Authorization.ToString();
        var given = auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..] : c.Request.Cookies["hone_ui_key"];
        return given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), key);
    }

    private static IResult Respond(HttpContext c, PageResult page) => page switch
    {
        { Download: { } d } => Results.File(Encoding.UTF8.GetBytes(d.Content), d.ContentType, d.FileName),
        { Redirect: { } r } => Results.Redirect(r),
        _ => Results.Content(c.Request.Headers["X-Partial"] == "1" ? page.Main! : Html.Page(page.Title!, page.Nav!, page.Main!, page.Live),
            "text/html; charset=utf-8"),
    };

    private static Task WriteHtml(HttpContext c, string html)
    {
        c.Response.ContentType = "text/html; charset=utf-8";
        return c.Response.WriteAsync(html);
    }

    private static IResult Asset(string name)
    {
        var type = Path.GetExtension(name) switch { ".js" => "text/javascript", ".css" => "text/css", _ => null };
        var stream = type is null ? null : Assembly.GetExecutingAssembly().GetManifestResourceStream("Hone.Ui.Assets." + name);
        return stream is null ? Results.NotFound() : Results.Stream(stream, type + "; charset=utf-8");
    }
}

/// <summary>What a page handler returns: a page (title, nav key, main HTML, live?), a download, or a redirect.</summary>
internal sealed record PageResult
{
    public string? Title { get; init; }
    public string? Nav { get; init; }
    public string? Main { get; init; }
    public bool Live { get; init; }
    public (string Content, string ContentType, string FileName)? Download { get; init; }
    public string? Redirect { get; init; }

    public static PageResult Show(string title, string nav, string main, bool live = false) => new() { Title = title, Nav = nav, Main = main, Live = live };

    public static PageResult File(string content, string contentType, string fileName) => new() { Download = (content, contentType, fileName) };
}
