using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Hone.FineTuning;

/// <summary>
/// The body of <c>POST /v1/fine_tuning/jobs</c>, validated once: OpenAI's keys (model, training_file, validation_file,
/// suffix, seed, metadata, integrations, the legacy top-level hyperparameters, and method with type supervised (or sft), dpo
/// or reinforcement and its hyperparameters). An unknown key or a bad value is an error naming the parameter.
/// </summary>
/// <param name="Model">The base model id.</param>
/// <param name="TrainingFile">Training file id.</param>
/// <param name="ValidationFile">Validation file id.</param>
/// <param name="Method">supervised, dpo or reinforcement.</param>
/// <param name="Hyperparameters">n_epochs, batch_size, learning_rate_multiplier (and beta for dpo): "auto" or a number.</param>
/// <param name="Suffix">Up to 64 characters of [A-Za-z0-9_-] for the model name.</param>
/// <param name="Seed">The seed (default 42).</param>
/// <param name="Metadata">The user's metadata.</param>
/// <param name="Grader">The grader of a reinforcement job.</param>
public sealed partial record JobRequest(string Model, string TrainingFile, string? ValidationFile, string Method, JsonObject Hyperparameters,
    string? Suffix, long Seed, JsonObject? Metadata, JsonObject? Grader)
{
    private static readonly string[] TopKeys = ["model", "training_file", "validation_file", "suffix", "seed", "metadata", "integrations", "hyperparameters", "method"];

    /// <summary>The hyperparameters each method accepts; "auto" is always accepted.</summary>
    private static readonly Dictionary<string, string[]> MethodKeys = new(StringComparer.Ordinal)
    {
        ["supervised"] = ["n_epochs", "batch_size", "learning_rate_multiplier"],
        ["dpo"] = ["n_epochs", "batch_size", "learning_rate_multiplier", "beta"],
        ["reinforcement"] = ["n_epochs", "batch_size", "learning_rate_multiplier", "eval_interval", "eval_samples", "compute_multiplier", "reasoning_effort"],
    };

    /// <summary>Parses and validates a request body.</summary>
    /// <exception cref="FineTuningException">A missing or bad parameter (400, naming it).</exception>
    public static JobRequest Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw FineTuningException.Invalid("", "The request body must be a JSON object.");
        foreach (var p in body.EnumerateObject())
            if (Array.IndexOf(TopKeys, p.Name) < 0)
                throw new FineTuningException(400, $"Unrecognized request argument supplied: {p.Name}.", p.Name, "unknown_parameter");
        var model = RequiredString(body, "model");
        var training = RequiredString(body, "training_file");
        var validation = OptionalString(body, "validation_file");
        var suffix = OptionalString(body, "suffix");
        if (suffix is not null && !SuffixPattern().IsMatch(suffix))
            throw FineTuningException.Invalid("suffix", $"suffix '{suffix}' must be 1 to 64 characters of letters, digits, '-' and '_'.");
        long seed = 42;
        if (body.TryGetProperty("seed", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt64(out seed) || seed < 0 || seed > int.MaxValue)
                throw FineTuningException.Invalid("seed", "seed must be a whole number from 0 to 2147483647.");
        }
        JsonObject? metadata = null;
        if (body.TryGetProperty("metadata", out var m) && m.ValueKind != JsonValueKind.Null)
        {
            if (m.ValueKind != JsonValueKind.Object || m.EnumerateObject().Any(x => x.Value.ValueKind != JsonValueKind.String) || m.EnumerateObject().Count() > 16)
                throw FineTuningException.Invalid("metadata", "metadata must be an object of at most 16 string values.");
            metadata = JsonNode.Parse(m.GetRawText())!.AsObject();
        }
        if (body.TryGetProperty("integrations", out var integ) && integ.ValueKind == JsonValueKind.Array && integ.GetArrayLength() > 0)
            throw FineTuningException.Invalid("integrations", "This server has no integrations (Weights & Biases runs cannot be reported from here); leave integrations empty. The metrics are in Hone's run store.");

        string method = "supervised";
        JsonElement? hyper = body.TryGetProperty("hyperparameters", out var legacy) && legacy.ValueKind != JsonValueKind.Null ? legacy : null;
        string hyperParam = "hyperparameters";
        JsonObject? grader = null;
        if (body.TryGetProperty("method", out var me) && me.ValueKind != JsonValueKind.Null)
        {
            if (me.ValueKind != JsonValueKind.Object || !me.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
                throw FineTuningException.Invalid("method", "method must be an object with a type: supervised, dpo or reinforcement.");
            method = t.GetString() switch
            {
                "supervised" or "sft" => "supervised",
                "dpo" => "dpo",
                "reinforcement" => "reinforcement",
                var other => throw FineTuningException.Invalid("method.type", $"method.type '{other}' is not one of supervised, dpo, reinforcement."),
            };
            var section = t.GetString() == "sft" ? "sft" : method;
            foreach (var p in me.EnumerateObject())
                if (p.Name != "type" && p.Name != section && !(section == "sft" && p.Name == "supervised"))
                    throw new FineTuningException(400, $"Unrecognized argument method.{p.Name} for method type '{t.GetString()}'.", "method." + p.Name, "unknown_parameter");
            if (me.TryGetProperty(section, out var inner) || (section == "sft" && me.TryGetProperty("supervised", out inner)))
            {
                if (inner.ValueKind != JsonValueKind.Object) throw FineTuningException.Invalid($"method.{section}", $"method.{section} must be an object.");
                foreach (var p in inner.EnumerateObject())
                {
                    if (p.Name == "hyperparameters")
                    {
                        if (hyper is not null) throw FineTuningException.Invalid("hyperparameters", "Give the hyperparameters in method, not also at the top level.");
                        hyper = p.Value;
                        hyperParam = $"method.{section}.hyperparameters";
                    }
                    else if (p.Name == "grader" && method == "reinforcement")
                    {
                        if (p.Value.ValueKind != JsonValueKind.Object) throw FineTuningException.Invalid("method.reinforcement.grader", "grader must be an object (an OpenAI grader).");
                        grader = JsonNode.Parse(p.Value.GetRawText())!.AsObject();
                    }
                    else if (p.Name == "response_format" && method == "reinforcement")
                    {
                        // Accepted: the graders parse the output themselves.
                    }
                    else
                    {
                        throw new FineTuningException(400, $"Unrecognized argument method.{section}.{p.Name}.", $"method.{section}.{p.Name}", "unknown_parameter");
                    }
                }
            }
        }
        if (method == "reinforcement" && grader is null)
            throw FineTuningException.Invalid("method.reinforcement.grader", "A reinforcement job needs method.reinforcement.grader (e.g. a string_check grader).");
        return new JobRequest(model, training, validation, method, ParseHyperparameters(hyper, method, hyperParam), suffix, seed, metadata, grader);
    }

    /// <summary>A hyperparameter's value: null for auto (or absent), else the number.</summary>
    public double? Value(string name) => Hyperparameters[name] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    private static JsonObject ParseHyperparameters(JsonElement? element, string method, string param)
    {
        var keys = MethodKeys[method];
        var result = new JsonObject();
        foreach (var k in keys.Where(k => k is "n_epochs" or "batch_size" or "learning_rate_multiplier" or "beta")) result[k] = "auto";
        if (element is not { } h || h.ValueKind == JsonValueKind.Null) return result;
        if (h.ValueKind != JsonValueKind.Object) throw FineTuningException.Invalid(param, $"{param} must be an object.");
        foreach (var p in h.EnumerateObject())
        {
            var name = $"{param}.{p.Name}";
            if (Array.IndexOf(keys, p.Name) < 0)
                throw new FineTuningException(400, $"Unrecognized hyperparameter {p.Name} for method {method}; use {string.Join(", ", keys)}.", name, "unknown_parameter");
            if (p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() == "auto")
            {
                result[p.Name] = "auto";
                continue;
            }
            switch (p.Name)
            {
                case "n_epochs":
                    result[p.Name] = WholeNumber(p.Value, name, 1, 50);
                    break;
                case "batch_size":
                    result[p.Name] = WholeNumber(p.Value, name, 1, 256);
                    break;
                case "eval_interval" or "eval_samples":
                    result[p.Name] = WholeNumber(p.Value, name, 1, 10000);
                    break;
                case "learning_rate_multiplier":
                    result[p.Name] = Positive(p.Value, name, 10);
                    break;
                case "beta":
                    result[p.Name] = Positive(p.Value, name, 2);
                    break;
                case "compute_multiplier":
                    result[p.Name] = Positive(p.Value, name, 10);
                    break;
                default:
                    throw FineTuningException.Invalid(name, $"{name}: this server supports only \"auto\" here.");
            }
        }
        return result;
    }

    private static int WholeNumber(JsonElement v, string name, int min, int max) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= min && n <= max ? n
            : throw FineTuningException.Invalid(name, $"{name} must be \"auto\" or a whole number from {min} to {max}; got {v.GetRawText()}.");

    private static double Positive(JsonElement v, string name, double max) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d > 0 && d <= max ? d
            : throw FineTuningException.Invalid(name, $"{name} must be \"auto\" or a number in (0, {max.ToString(CultureInfo.InvariantCulture)}]; got {v.GetRawText()}.");

    private static string RequiredString(JsonElement body, string name) =>
        OptionalString(body, name) ?? throw new FineTuningException(400, $"Missing required parameter: '{name}'.", name, "missing_required_parameter");

    private static string? OptionalString(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
            throw FineTuningException.Invalid(name, $"{name} must be a non-empty string.");
        return v.GetString();
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex SuffixPattern();
}
