using System.Buffers.Binary;
using System.Text;

namespace Hone.Tokenizers;

/// <summary>
/// Reads a SentencePiece tokenizer.model (protobuf ModelProto): the pieces (text, score, type), the trainer's
/// unk/bos/eos ids and the normalizer's add_dummy_prefix. Only BPE models are accepted (Unigram models need a
/// different algorithm).
/// </summary>
public static class SentencePieceModelReader
{
    /// <summary>Largest file accepted (bytes).</summary>
    public const long MaxFileBytes = 256L * 1024 * 1024;

    /// <summary>Reads a tokenizer.model file.</summary>
    /// <exception cref="TokenizerFormatException">The protobuf is malformed, truncated, or not a BPE model.</exception>
    public static SentencePieceBpeTokenizer Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Tokenizer file not found: {path}", path);
        if (info.Length > MaxFileBytes)
            throw new TokenizerFormatException($"{path}: {info.Length} bytes is larger than the {MaxFileBytes}-byte cap for a tokenizer.model.");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses tokenizer.model bytes; <paramref name="name"/> names the source in error messages.</summary>
    public static SentencePieceBpeTokenizer Parse(ReadOnlySpan<byte> data, string name)
    {
        var texts = new List<string>();
        var scores = new List<float>();
        var kinds = new List<TokenKind>();
        int unk = 0, bos = 1, eos = 2;
        var modelType = 1;
        var addDummyPrefix = true;
        var r = new Reader(data, 0, data.Length, name);
        while (!r.End)
        {
            var (field, wire) = r.Tag();
            if (field == 1 && wire == 2)
            {
                if (texts.Count >= Vocabulary.MaxTokens) throw r.Error($"more than {Vocabulary.MaxTokens} pieces");
                var p = r.Sub();
                string? text = null;
                float score = 0;
                var type = 1L;
                while (!p.End)
                {
                    var (f, w) = p.Tag();
                    if (f == 1 && w == 2) text = p.Utf8String();
                    else if (f == 2 && w == 5) score = p.Float();
                    else if (f == 3 && w == 0) type = p.Varint();
                    else p.Skip(w);
                }
                if (text is null) throw r.Error($"piece {texts.Count} has no text");
                texts.Add(text);
                scores.Add(score);
                kinds.Add(type is >= 1 and <= 6 ? (TokenKind)type : TokenKind.Normal);
            }
            else if (field == 2 && wire == 2)
            {
                var t = r.Sub();
                while (!t.End)
                {
                    var (f, w) = t.Tag();
                    if (w == 0 && f is 3 or 40 or 41 or 42)
                    {
                        var v = (int)Math.Clamp(t.SignedVarint(), -1, int.MaxValue);
                        switch (f) { case 3: modelType = v; break; case 40: unk = v; break; case 41: bos = v; break; default: eos = v; break; }
                    }
                    else t.Skip(w);
                }
            }
            else if (field == 3 && wire == 2)
            {
                var ns = r.Sub();
                while (!ns.End)
                {
                    var (f, w) = ns.Tag();
                    if (f == 3 && w == 0) addDummyPrefix = ns.Varint() != 0;
                    else ns.Skip(w);
                }
            }
            else r.Skip(wire);
        }
        if (modelType != 2)
            throw new TokenizerFormatException($"{name}: trainer_spec.model_type is {modelType}; only BPE (2) SentencePiece models are supported.");
        var vocab = new Vocabulary(texts, scores, kinds);
        int? Id(int id) => id >= 0 && vocab.Contains(id) ? id : null;
        return new SentencePieceBpeTokenizer(vocab, Id(bos), Id(eos), Id(unk), addDummyPrefix);
    }

    private ref struct Reader(ReadOnlySpan<byte> data, int pos, int end, string name)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private readonly int _end = end;
        private readonly string _name = name;
        private int _pos = pos;

        public readonly bool End => _pos >= _end;

        public readonly TokenizerFormatException Error(string what) =>
            new($"{_name}: byte offset {_pos}: {what}; the file is not a valid SentencePiece tokenizer.model.");

        public ulong RawVarint()
        {
            ulong v = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= _end) throw Error("truncated varint");
                var b = _data[_pos++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
            throw Error("varint longer than 10 bytes");
        }

        public long Varint() => (long)RawVarint();

        public long SignedVarint() => (long)RawVarint();

        public (int Field, int Wire) Tag()
        {
            var t = RawVarint();
            if (t > int.MaxValue) throw Error("field number out of range");
            return ((int)(t >> 3), (int)(t & 7));
        }

        public Reader Sub()
        {
            var len = RawVarint();
            if (len > (ulong)(_end - _pos)) throw Error($"length {len} runs past the end of its message");
            var sub = new Reader(_data, _pos, _pos + (int)len, _name);
            _pos += (int)len;
            return sub;
        }

        public string Utf8String()
        {
            var sub = Sub();
            try
            {
                return new UTF8Encoding(false, true).GetString(_data[sub._pos..sub._end]);
            }
            catch (DecoderFallbackException ex)
            {
                throw new TokenizerFormatException($"{_name}: byte offset {sub._pos}: piece text is not valid UTF-8.", ex);
            }
        }

        public float Float()
        {
            if (_end - _pos < 4) throw Error("truncated float");
            var v = BinaryPrimitives.ReadSingleLittleEndian(_data[_pos..]);
            _pos += 4;
            return v;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: RawVarint(); break;
                case 1: Advance(8); break;
                case 2: Sub(); break;
                case 5: Advance(4); break;
                default: throw Error($"unsupported protobuf wire type {wire}");
            }
        }

        private void Advance(int n)
        {
            if (_end - _pos < n) throw Error("truncated field");
            _pos += n;
        }
    }
}
