using System.Net;

namespace Hone.Server;

/// <summary>Settings of <c>hone serve</c>, validated once.</summary>
public sealed record ServerOptions
{
    /// <summary>Address to bind (an IP address or "localhost"). Default loopback.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port; 0 picks a free one (see <see cref="HoneServer.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>When set, every request needs <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Requests generating at the same time.</summary>
    public int MaxConcurrency { get; init; } = 1;

    /// <summary>Requests waiting for a slot; one more gets 429.</summary>
    public int MaxQueue { get; init; } = 16;

    /// <summary>Largest request body in bytes (larger gets 413).</summary>
    public long MaxRequestBytes { get; init; } = 4 << 20;

    /// <summary>Most choices (<c>n</c>) per request.</summary>
    public int MaxChoices { get; init; } = 8;

    /// <summary>
    /// Where internal errors are written in full (type, message, stack) with the reference the client was given; the
    /// client sees only the reference. Null: standard error.
    /// </summary>
    public TextWriter? ErrorLog { get; init; }

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentException">A value is out of range (the message names the option).</exception>
    public ServerOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(Host) || (Host != "localhost" && !IPAddress.TryParse(Host, out _)))
        {
            throw new ArgumentException($"--host '{Host}' must be an IP address (e.g. 127.0.0.1, 0.0.0.0) or localhost.");
        }

        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"--port {Port} must be 0..65535 (0 = any free port).");
        }

        if (ApiKey is { Length: 0 })
        {
            throw new ArgumentException("--api-key must not be empty.");
        }

        if (MaxConcurrency < 1)
        {
            throw new ArgumentException($"--max-concurrency {MaxConcurrency} must be ≥ 1.");
        }

        if (MaxQueue < 0)
        {
            throw new ArgumentException($"--max-queue {MaxQueue} must be ≥ 0.");
        }

        if (MaxRequestBytes < 1024)
        {
            throw new ArgumentException($"max request bytes {MaxRequestBytes} must be ≥ 1024.");
        }

        if (MaxChoices < 1)
        {
            throw new ArgumentException($"max choices {MaxChoices} must be ≥ 1.");
        }

        return this;
    }
}
