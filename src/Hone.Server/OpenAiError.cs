using System.Text.Json.Nodes;
using Hone.Core;
using Microsoft.AspNetCore.Http;

namespace Hone.Server;

/// <summary>A request the server refuses, answered in OpenAI's error JSON shape with <see cref="Status"/>.</summary>
public sealed class OpenAiError : Exception
{
    /// <summary>Creates the error.</summary>
    public OpenAiError(int status, string message, string type = "invalid_request_error", string? param = null, string? code = null)
        : base(message)
    {
        Status = status;
        Type = type;
        Param = param;
        Code = code;
    }

    /// <summary>Creates a 400 error.</summary>
    public OpenAiError() : this(400, "invalid request") { }

    /// <summary>Creates a 400 error.</summary>
    public OpenAiError(string message) : this(400, message) { }

    /// <summary>Creates a 400 error.</summary>
    public OpenAiError(string message, Exception inner) : base(message, inner)
    {
        Status = 400;
        Type = "invalid_request_error";
    }

    /// <summary>HTTP status.</summary>
    public int Status { get; }

    /// <summary>OpenAI error type (invalid_request_error, server_error, ...).</summary>
    public string Type { get; }

    /// <summary>The request parameter at fault, if any.</summary>
    public string? Param { get; }

    /// <summary>Machine-readable code (invalid_api_key, model_not_found, context_length_exceeded, ...).</summary>
    public string? Code { get; }

    /// <summary>
    /// The answer to a <see cref="HoneException"/> by its kind: input 400, not-found 404, unsupported 422, conflict 409,
    /// internal 500 (with no internal text: the caller logs it). The parameter is the error's field, when it has one.
    /// </summary>
    public static OpenAiError From(HoneException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var param = error.Location?.Field;
        return error.Kind switch
        {
            ErrorKind.Input => new OpenAiError(400, error.Message, param: param),
            ErrorKind.NotFound => new OpenAiError(404, error.Message, param: param, code: "not_found"),
            ErrorKind.Unsupported => new OpenAiError(422, error.Message, param: param, code: "unsupported"),
            ErrorKind.Conflict => new OpenAiError(409, error.Message, param: param, code: "conflict"),
            _ => new OpenAiError(500, "The server failed to answer the request (an internal error).", type: "server_error", code: "internal_error"),
        };
    }

    /// <summary>A 400 about parameter <paramref name="param"/>.</summary>
    public static OpenAiError Invalid(string param, string message) => new(400, message, param: param);

    /// <summary>The error body: <c>{"error":{"message","type","param","code"}}</c>.</summary>
    public JsonObject ToJson() => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = Message,
            ["type"] = Type,
            ["param"] = Param,
            ["code"] = Code,
        },
    };

    /// <summary>Writes the error as the response (status and JSON body).</summary>
    public Task WriteAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = Status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(ToJson().ToJsonString(), context.RequestAborted);
    }
}
