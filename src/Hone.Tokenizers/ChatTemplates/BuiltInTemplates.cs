namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// Chat templates for models that ship without one, chosen explicitly by name (never guessed):
/// "chatml" (&lt;|im_start|&gt;role ... &lt;|im_end|&gt;), "llama3" (header ids and &lt;|eot_id|&gt;), "llama2"
/// ([INST] ... [/INST] with &lt;&lt;SYS&gt;&gt;, assistant turns end with eos_token) and "plain" (### User: / ### Assistant:,
/// assistant turns end with eos_token).
/// </summary>
public static class BuiltInTemplates
{
    private const string ChatMl =
        "{%- for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}" +
        "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}";

    private const string Llama3 =
        "{{- bos_token }}{%- for message in messages %}" +
        "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}" +
        "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

    private const string Llama2 =
        "{%- if messages[0]['role'] == 'system' %}{%- set loop_messages = messages[1:] %}{%- set system_message = messages[0]['content'] %}" +
        "{%- else %}{%- set loop_messages = messages %}{%- set system_message = false %}{%- endif %}" +
        "{%- for message in loop_messages %}" +
        "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif %}" +
        "{%- if loop.index0 == 0 and system_message != false %}{%- set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}" +
        "{%- else %}{%- set content = message['content'] %}{%- endif %}" +
        "{%- if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content | trim + ' [/INST]' }}" +
        "{%- elif message['role'] == 'assistant' %}{{ ' ' + content | trim + ' ' + eos_token }}{%- endif %}{%- endfor %}";

    private const string Plain =
        "{%- for message in messages %}{%- if message['role'] == 'system' %}{{ message['content'] + '\\n\\n' }}" +
        "{%- elif message['role'] == 'user' %}{{ '### User:\\n' + message['content'] + '\\n\\n' }}" +
        "{%- elif message['role'] == 'assistant' %}{{ '### Assistant:\\n' + message['content'] + eos_token + '\\n\\n' }}" +
        "{%- else %}{{ raise_exception('The plain template supports system, user and assistant messages only') }}{%- endif %}{%- endfor %}" +
        "{%- if add_generation_prompt %}{{ '### Assistant:\\n' }}{%- endif %}";

    private static readonly Dictionary<string, string> Sources = new(StringComparer.Ordinal)
    {
        ["chatml"] = ChatMl,
        ["llama3"] = Llama3,
        ["llama2"] = Llama2,
        ["plain"] = Plain,
    };

    /// <summary>The names <see cref="Get"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["chatml", "llama3", "llama2", "plain"];

    /// <summary>The built-in template with this exact name; an unknown name raises an error that lists the names.</summary>
    public static ChatTemplate Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Sources.TryGetValue(name, out var src))
            throw new ChatTemplateException($"unknown built-in chat template '{name}'; choose one of: {string.Join(", ", Names)}");
        return ChatTemplate.Parse(src, "builtin:" + name);
    }
}
