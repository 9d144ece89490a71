using System.Text.Json;

namespace Hone.Data.Import.Json;

/// <summary>A malformed import record: the importer reports it with the record's position and skips it.</summary>
internal sealed class RecordProblemException(string message) : Exception(message);

/// <summary>Small typed accessors over a JSON record that throw <see cref="RecordProblemException"/> with a JSON path.</summary>
internal static class RecordJson
{
    public static JsonElement Object(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new RecordProblemException($"{path} is {Kind(value)}, expected an object.");
        return value;
    }

    public static string? OptionalString(JsonElement obj, string key, string path)
    {
        if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw new RecordProblemException($"{path}.{key} is {Kind(v)}, expected a string.");
        return v.GetString();
    }

    public static string RequiredString(JsonElement obj, string key, string path) =>
        OptionalString(obj, key, path) ?? throw new RecordProblemException($"{path}.{key} is missing; every record needs it.");

    public static JsonElement RequiredArray(JsonElement obj, string key, string path)
    {
        if (!obj.TryGetProperty(key, out var v)) throw new RecordProblemException($"{path}.{key} is missing; every record needs it.");
        if (v.ValueKind != JsonValueKind.Array) throw new RecordProblemException($"{path}.{key} is {Kind(v)}, expected a list.");
        return v;
    }

    public static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "missing",
    };

    /// <summary>Runs the record loop: converts each record, reports the malformed ones to the context.</summary>
    public static IEnumerable<T> Convert<T>(string path, ImportContext context, Func<JsonRecord, T?> convert)
        where T : class
    {
        foreach (var record in JsonRecordSource.Read(path, context))
        {
            T? item;
            try
            {
                item = convert(record);
            }
            catch (RecordProblemException e)
            {
                context.Problem(record.Number, record.Line, e.Message);
                continue;
            }
            if (item is null)
            {
                context.SkipByDesign();
                continue;
            }
            context.Imported++;
            yield return item;
        }
    }
}
