using System.Text;

namespace Hone.Server;

/// <summary>The API key <c>hone serve</c> requires, where it came from, and what the user should be warned about.</summary>
/// <param name="Key">The key, or null when none was given (no key is required then).</param>
/// <param name="Origin">Where it came from, for messages: <c>--api-key</c>, <c>--api-key-file PATH</c>, <c>HONE_API_KEY</c> or <c>none</c>.</param>
/// <param name="Warnings">Things to tell the user (the key is visible in <c>ps</c>, the key file is readable by others).</param>
public sealed record ApiKeySource(string? Key, string Origin, IReadOnlyList<string> Warnings)
{
    /// <summary>The environment variable read for the key.</summary>
    public const string EnvironmentVariable = "HONE_API_KEY";

    /// <summary>The precedence rule, as <c>--help</c> and the README state it.</summary>
    public const string Rule =
        "--api-key-file FILE (its first line) or --api-key KEY (at most one of the two), else the HONE_API_KEY environment variable, else no key";

    /// <summary>The longest key file read; a key is one short line.</summary>
    public const int MaxFileBytes = 64 * 1024;

    /// <summary>
    /// Picks the key by <see cref="Rule"/>. <paramref name="environment"/> looks up an environment variable (pass
    /// <see cref="Environment.GetEnvironmentVariable(string)"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Both options given, an empty key or key file, a key with control characters.</exception>
    /// <exception cref="IOException">The key file cannot be read.</exception>
    public static ApiKeySource Resolve(string? commandLineKey, string? keyFile, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (commandLineKey is not null && keyFile is not null)
        {
            throw new ArgumentException("--api-key and --api-key-file both give the key; give one (prefer --api-key-file or HONE_API_KEY: a key on the command line is visible to every user in `ps`).");
        }

        if (keyFile is not null)
        {
            var (key, warnings) = ReadFile(keyFile);
            return new ApiKeySource(key, $"--api-key-file {keyFile}", warnings);
        }

        if (commandLineKey is not null)
        {
            Check(commandLineKey, "--api-key");
            return new ApiKeySource(commandLineKey, "--api-key",
                ["the API key is on the command line, where every user of this machine can read it (`ps`); use HONE_API_KEY or --api-key-file instead."]);
        }

        if (environment(EnvironmentVariable) is { } fromEnv)
        {
            var trimmed = fromEnv.Trim();
            Check(trimmed, EnvironmentVariable);
            return new ApiKeySource(trimmed, EnvironmentVariable, []);
        }

        return new ApiKeySource(null, "none", []);
    }

    private static (string Key, IReadOnlyList<string> Warnings) ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"--api-key-file {path}: no such file; write the key on its first line (e.g. `openssl rand -hex 32 > {path} && chmod 600 {path}`).", path);
        }

        var warnings = new List<string>();
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
            {
                warnings.Add($"--api-key-file {path} can be read by {((mode & UnixFileMode.OtherRead) != 0 ? "every user" : "its group")} (mode {Octal(mode)}); restrict it with `chmod 600 {path}`.");
            }
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var buffer = new byte[MaxFileBytes];
        var length = 0;
        int n;
        while (length < buffer.Length && (n = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += n;
        }

        var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        string content;
        try
        {
            content = text.GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            throw new ArgumentException($"--api-key-file {path}: the file is not UTF-8 text; write the key on its first line.");
        }

        var end = content.IndexOfAny(['\r', '\n']);
        if (end < 0 && length == buffer.Length)
        {
            throw new ArgumentException($"--api-key-file {path}: the first line is longer than {MaxFileBytes:N0} bytes; a key file holds the key on its first line.");
        }

        var key = (end < 0 ? content : content[..end]).Trim().TrimStart('\uFEFF');
        if (key.Length == 0)
        {
            throw new ArgumentException($"--api-key-file {path}: the first line is empty; write the key on it (the server would otherwise run without a key).");
        }

        Check(key, $"--api-key-file {path}");
        return (key, warnings);
    }

    private static void Check(string key, string origin)
    {
        if (key.Length == 0)
        {
            throw new ArgumentException($"{origin}: the API key is empty; give a key, or give none to serve without one.");
        }

        if (key.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw new ArgumentException($"{origin}: the API key holds white space or control characters, which an 'Authorization: Bearer KEY' header cannot carry; use printable characters only.");
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');
}
