using System.Text.Json;

namespace Hone.Tokenizers;

/// <summary>
/// Reads a Hugging Face tokenizer.json. <c>model.type</c> "BPE" with byte-level pre-tokenizer/decoder becomes a
/// <see cref="ByteLevelBpeTokenizer"/> (merges, <c>pre_tokenizer</c> Sequence/Split/ByteLevel/Digits, ignore_merges);
/// "BPE" with <c>byte_fallback</c> or "▁" handling (Metaspace, Prepend/Replace normalizers), or a "Unigram" vocabulary
/// with scores, becomes a <see cref="SentencePieceBpeTokenizer"/> (merge order turned into scores). <c>added_tokens</c>
/// join the vocabulary (special ones as control tokens). BOS/EOS come from tokenizer_config.json beside the file
/// (bos_token/eos_token), else config.json (bos_token_id/eos_token_id).
/// </summary>
public static class TokenizerJsonReader
{
    /// <summary>Largest tokenizer.json accepted (bytes).</summary>
    public const long MaxFileBytes = 512L * 1024 * 1024;

    // Marks a BOS/EOS given as an id (config.json) rather than as token text.
    private const string IdMarker = "\0id:";

    /// <summary>Most merge rules accepted.</summary>
    public const int MaxMerges = 4_000_000;

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="TokenizerFormatException">Malformed JSON, a missing or mistyped field, or an unsupported component.</exception>
    public static TokenizerBase Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Tokenizer file not found: {path}", path);
        if (info.Length > MaxFileBytes)
            throw new TokenizerFormatException($"{path}: {info.Length} bytes is larger than the {MaxFileBytes}-byte cap for a tokenizer.json.");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new TokenizerFormatException($"{path}:{(ex.LineNumber ?? 0) + 1}:{(ex.BytePositionInLine ?? 0) + 1}: not valid JSON: {ex.Message}", ex);
        }
        using (doc)
        {
            var (bos, eos) = SpecialIdsBeside(path);
            return Build(doc.RootElement, path, bos, eos);
        }
    }

    /// <summary>Builds a tokenizer from a parsed tokenizer.json; <paramref name="bosText"/>/<paramref name="eosText"/> are the texts of the BOS/EOS tokens.</summary>
    public static TokenizerBase Build(JsonElement root, string where, string? bosText, string? eosText)
    {
        ArgumentNullException.ThrowIfNull(where);
        var model = Prop(root, "model", JsonValueKind.Object, where, "model")!.Value;
        var type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "BPE";
        var texts = new List<string?>();
        var scores = new List<float>();
        void Put(int id, string text, float score)
        {
            if (id < 0 || id >= Vocabulary.MaxTokens) throw new TokenizerFormatException($"{where}: token \"{Short(text)}\" has id {id}, outside 0..{Vocabulary.MaxTokens - 1}.");
            while (texts.Count <= id) { texts.Add(null); scores.Add(0); }
            texts[id] = text;
            scores[id] = score;
        }
        var vocabEl = Prop(model, "vocab", type == "Unigram" ? JsonValueKind.Array : JsonValueKind.Object, where, "model.vocab")!.Value;
        if (type == "Unigram")
        {
            var i = 0;
            foreach (var e in vocabEl.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != 2 || e[0].ValueKind != JsonValueKind.String || e[1].ValueKind != JsonValueKind.Number)
                    throw new TokenizerFormatException($"{where}: model.vocab[{i}] is not a [piece, score] pair.");
                Put(i, e[0].GetString()!, (float)e[1].GetDouble());
                i++;
            }
        }
        else if (type == "BPE")
        {
            foreach (var p in vocabEl.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out var id))
                    throw new TokenizerFormatException($"{where}: model.vocab[\"{Short(p.Name)}\"] is not an integer id.");
                Put(id, p.Name, 0);
            }
        }
        else throw new TokenizerFormatException($"{where}: model.type \"{type}\" is not supported; Hone reads BPE and SentencePiece-style Unigram vocabularies.");

        var kinds = new List<TokenKind>();
        var added = new Dictionary<int, TokenKind>();
        if (root.TryGetProperty("added_tokens", out var at) && at.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var a in at.EnumerateArray())
            {
                var content = Prop(a, "content", JsonValueKind.String, where, $"added_tokens[{i}].content")!.Value.GetString()!;
                var idEl = Prop(a, "id", JsonValueKind.Number, where, $"added_tokens[{i}].id")!.Value;
                if (!idEl.TryGetInt32(out var id)) throw new TokenizerFormatException($"{where}: added_tokens[{i}].id is not an int32.");
                var special = a.TryGetProperty("special", out var sp) && sp.ValueKind == JsonValueKind.True;
                Put(id, content, 0);
                added[id] = special ? TokenKind.Control : TokenKind.UserDefined;
                i++;
            }
        }
        var full = new string[texts.Count];
        for (var i = 0; i < full.Length; i++)
        {
            full[i] = texts[i] ?? $"<|hone_missing_{i}|>";
            kinds.Add(added.TryGetValue(i, out var k) ? k : texts[i] is null ? TokenKind.Unused : TokenKind.Normal);
        }

        int? Id(string? text)
        {
            if (text is null) return null;
            if (text.StartsWith(IdMarker, StringComparison.Ordinal))
                return int.TryParse(text.AsSpan(IdMarker.Length), out var n) && n >= 0 && n < full.Length ? n : null;
            for (var i = 0; i < full.Length; i++) if (full[i] == text) return i;
            return null;
        }

        var merges = ReadMerges(model, where);
        var spm = type == "Unigram" || IsSentencePieceStyle(root, model);
        if (spm)
        {
            for (var i = 0; i < full.Length; i++)
            {
                if (TryBytePiece(full[i])) kinds[i] = TokenKind.Byte;
                if (type == "BPE") scores[i] = -1e30f;
            }
            if (type == "BPE")
            {
                // Merge order becomes score order: the earlier the merge that makes a piece, the higher its score.
                var ids = new Dictionary<string, int>(StringComparer.Ordinal);
                for (var i = 0; i < full.Length; i++) ids.TryAdd(full[i], i);
                for (var r = merges.Count - 1; r >= 0; r--)
                    if (ids.TryGetValue(merges[r].Replace(" ", "", StringComparison.Ordinal), out var id)) scores[id] = -r;
            }
            var vocab = new Vocabulary(full, scores, kinds);
            int? unk = model.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? Id(u.GetString()) :
                model.TryGetProperty("unk_id", out var ui) && ui.ValueKind == JsonValueKind.Number && ui.TryGetInt32(out var uid) && vocab.Contains(uid) ? uid : null;
            return new SentencePieceBpeTokenizer(vocab, Id(bosText), Id(eosText), unk, HasDummyPrefix(root));
        }
        var bl = new Vocabulary(full, null, kinds);
        var pre = ReadPreTokenizer(root.TryGetProperty("pre_tokenizer", out var pt) ? pt : default, where, out var addPrefix);
        var ignore = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True;
        return new ByteLevelBpeTokenizer(bl, merges, new RegexPreTokenizer(pre, addPrefix), Id(bosText), Id(eosText), ignore);
    }

    private static List<string> ReadMerges(JsonElement model, string where)
    {
        var list = new List<string>();
        if (!model.TryGetProperty("merges", out var m) || m.ValueKind != JsonValueKind.Array) return list;
        var i = 0;
        foreach (var e in m.EnumerateArray())
        {
            if (list.Count >= MaxMerges) throw new TokenizerFormatException($"{where}: model.merges has more than {MaxMerges} rules.");
            if (e.ValueKind == JsonValueKind.String) list.Add(e.GetString()!);
            else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2 && e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.String)
                list.Add(e[0].GetString() + " " + e[1].GetString());
            else throw new TokenizerFormatException($"{where}: model.merges[{i}] is neither \"a b\" nor [\"a\", \"b\"].");
            i++;
        }
        return list;
    }

    private static bool IsSentencePieceStyle(JsonElement root, JsonElement model)
    {
        if (model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True) return true;
        var text = root.TryGetProperty("pre_tokenizer", out var p) ? p.GetRawText() : "";
        var norm = root.TryGetProperty("normalizer", out var n) ? n.GetRawText() : "";
        return text.Contains("\"Metaspace\"", StringComparison.Ordinal) || norm.Contains('\u2581', StringComparison.Ordinal)
            || norm.Contains("\\u2581", StringComparison.OrdinalIgnoreCase);
    }

    private static bool HasDummyPrefix(JsonElement root)
    {
        var norm = root.TryGetProperty("normalizer", out var n) ? n.GetRawText() : "";
        if (norm.Contains("\"Prepend\"", StringComparison.Ordinal)) return true;
        if (root.TryGetProperty("pre_tokenizer", out var p) && p.ValueKind == JsonValueKind.Object && p.GetRawText().Contains("\"Metaspace\"", StringComparison.Ordinal))
        {
            var raw = p.GetRawText();
            return !raw.Contains("\"prepend_scheme\":\"never\"", StringComparison.Ordinal) && !raw.Contains("\"add_prefix_space\":false", StringComparison.Ordinal);
        }
        return false;
    }

    private static List<string> ReadPreTokenizer(JsonElement el, string where, out bool addPrefixSpace)
    {
        addPrefixSpace = false;
        var patterns = new List<string>();
        if (el.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return patterns;
        var prefix = false;
        void Walk(JsonElement e, string path)
        {
            var type = Prop(e, "type", JsonValueKind.String, where, path + ".type")!.Value.GetString();
            switch (type)
            {
                case "Sequence":
                    var i = 0;
                    foreach (var c in Prop(e, "pretokenizers", JsonValueKind.Array, where, path + ".pretokenizers")!.Value.EnumerateArray())
                        Walk(c, $"{path}.pretokenizers[{i++}]");
                    break;
                case "ByteLevel":
                    if (e.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True) prefix = true;
                    if (!e.TryGetProperty("use_regex", out var ur) || ur.ValueKind != JsonValueKind.False) patterns.Add(PreTokenizerPatterns.Gpt2);
                    break;
                case "Digits":
                    patterns.Add(e.TryGetProperty("individual_digits", out var id) && id.ValueKind == JsonValueKind.True ? @"\p{N}" : @"\p{N}+");
                    break;
                case "Split":
                    var behavior = e.TryGetProperty("behavior", out var b) ? b.GetString() : "Isolated";
                    var invert = e.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True;
                    if (behavior != "Isolated" || invert)
                        throw new TokenizerFormatException($"{where}: {path}: Split with behavior \"{behavior}\"{(invert ? " and invert" : "")} is not supported (only Isolated).");
                    var pat = Prop(e, "pattern", JsonValueKind.Object, where, path + ".pattern")!.Value;
                    if (pat.TryGetProperty("Regex", out var rx) && rx.ValueKind == JsonValueKind.String) patterns.Add(rx.GetString()!);
                    else if (pat.TryGetProperty("String", out var st) && st.ValueKind == JsonValueKind.String) patterns.Add(System.Text.RegularExpressions.Regex.Escape(st.GetString()!));
                    else throw new TokenizerFormatException($"{where}: {path}.pattern has neither Regex nor String.");
                    break;
                default:
                    throw new TokenizerFormatException($"{where}: {path}: pre-tokenizer \"{type}\" is not supported for byte-level BPE (supported: Sequence, Split, ByteLevel, Digits).");
            }
        }
        Walk(el, "pre_tokenizer");
        addPrefixSpace = prefix;
        return patterns;
    }

    private static bool TryBytePiece(string t) =>
        t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' && Uri.IsHexDigit(t[3]) && Uri.IsHexDigit(t[4]);

    private static JsonElement? Prop(JsonElement e, string name, JsonValueKind kind, string where, string path)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v))
            throw new TokenizerFormatException($"{where}: {path} is missing.");
        if (v.ValueKind != kind && !(kind == JsonValueKind.True && v.ValueKind == JsonValueKind.False))
            throw new TokenizerFormatException($"{where}: {path} is {v.ValueKind}, expected {kind}.");
        return v;
    }

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>BOS/EOS token texts from tokenizer_config.json, else "#id" from config.json, beside <paramref name="path"/>.</summary>
    private static (string? Bos, string? Eos) SpecialIdsBeside(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string? bos = null, eos = null;
        try
        {
            var cfg = Path.Combine(dir, "tokenizer_config.json");
            if (File.Exists(cfg) && new FileInfo(cfg).Length < 64L * 1024 * 1024)
            {
                using var d = JsonDocument.Parse(File.ReadAllBytes(cfg));
                bos = TokenString(d.RootElement, "bos_token");
                eos = TokenString(d.RootElement, "eos_token");
            }
            var model = Path.Combine(dir, "config.json");
            if ((bos is null || eos is null) && File.Exists(model) && new FileInfo(model).Length < 64L * 1024 * 1024)
            {
                using var d = JsonDocument.Parse(File.ReadAllBytes(model));
                if (bos is null && d.RootElement.TryGetProperty("bos_token_id", out var b) && b.TryGetInt32(out var bi)) bos = IdMarker + bi;
                if (eos is null && d.RootElement.TryGetProperty("eos_token_id", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var ei)) eos = IdMarker + ei;
            }
        }
        catch (JsonException ex)
        {
            throw new TokenizerFormatException($"{dir}: tokenizer_config.json or config.json is not valid JSON: {ex.Message}", ex);
        }
        return (bos, eos);
    }

    private static string? TokenString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) return c.GetString();
        return null;
    }
}
