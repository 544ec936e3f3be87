package dev.recall.runtime.chat;

import dev.recall.runtime.RecallException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real-world chat templates rendered exactly as Hugging Face renders them. The expected strings were
 * produced with jinja2 3.1.6 configured as {@code apply_chat_template} configures it
 * (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, raise_exception), with
 * bos_token "&lt;BOS&gt;" and eos_token "&lt;EOS&gt;".
 */
class ChatTemplateTest {

    /** Meta-Llama-3-8B-Instruct. */
    static final String LLAMA3 = """
            {% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>

            '+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>

            ' }}{% endif %}
            """;

    /** Qwen2.5-Instruct (ChatML, with its tools branch). */
    static final String QWEN25 = """
            {%- if tools %}
                {{- '<|im_start|>system\\n' }}
                {%- if messages[0]['role'] == 'system' %}
                    {{- messages[0]['content'] }}
                {%- else %}
                    {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
                {%- endif %}
                {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
                {%- for tool in tools %}
                    {{- "\\n" }}
                    {{- tool | tojson }}
                {%- endfor %}
                {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
            {%- else %}
                {%- if messages[0]['role'] == 'system' %}
                    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
                {%- else %}
                    {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
                {%- endif %}
            {%- endif %}
            {%- for message in messages %}
                {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
                    {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
                {%- elif message.role == "assistant" %}
                    {{- '<|im_start|>' + message.role }}
                    {%- if message.content %}
                        {{- '\\n' + message.content }}
                    {%- endif %}
                    {%- for tool_call in message.tool_calls %}
                        {%- if tool_call.function is defined %}
                            {%- set tool_call = tool_call.function %}
                        {%- endif %}
                        {{- '\\n<tool_call>\\n{"name": "' }}
                        {{- tool_call.name }}
                        {{- '", "arguments": ' }}
                        {{- tool_call.arguments | tojson }}
                        {{- '}\\n</tool_call>' }}
                    {%- endfor %}
                    {{- '<|im_end|>\\n' }}
                {%- elif message.role == "tool" %}
                    {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
                        {{- '<|im_start|>user' }}
                    {%- endif %}
                    {{- '\\n<tool_response>\\n' }}
                    {{- message.content }}
                    {{- '\\n</tool_response>' }}
                    {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
                        {{- '<|im_end|>\\n' }}
                    {%- endif %}
                {%- endif %}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|im_start|>assistant\\n' }}
            {%- endif %}
            """;

    /** Llama-2-chat: .strip() on strings, raise_exception, system prompt folded into the first turn. */
    static final String LLAMA2 = """
            {% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}
            """;

    /** Block tags with no "-" markers (trim_blocks / lstrip_blocks decide the whitespace), namespace(), loop.last,
     * Python string methods, a comment and a final newline that Jinja drops. */
    static final String BLOCKS = """
            {% set ns = namespace(system='', turns=0) %}
            {% for message in messages %}
                {% if message.role == 'system' %}
                    {% set ns.system = message.content.strip() %}
                {% else %}
                    {% set ns.turns = ns.turns + 1 %}
                {% endif %}
            {% endfor %}
            {{ bos_token }}
            {% if ns.system %}
                [SYSTEM] {{ ns.system }}
            {% endif %}
            {% for message in messages %}
                {% if message.role != 'system' %}
            <{{ message.role.upper() }}> {{ message.content.split('</think>')[-1].lstrip('\\n').rstrip() }}{% if not loop.last %} |{% endif %}

                {% endif %}
            {% endfor %}
            {# turns: the number of non-system messages #}
            ({{ ns.turns }} turns){% if add_generation_prompt %}
            <ASSISTANT>{% endif %}

            """;

    static final Map<String, String> SPECIALS = Map.of("bos_token", "<BOS>", "eos_token", "<EOS>");

    static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("You are helpful. "),
            ChatMessage.user(" Hi!\n"),
            ChatMessage.assistant("Hello, how can I help?"),
            ChatMessage.user("Tell me a joke."));

    static final List<ChatMessage> HELLO = List.of(ChatMessage.user("Hi!"));

    static final List<ChatMessage> THINKING = List.of(
            ChatMessage.system("  Be brief.\t"),
            ChatMessage.user("<think>hmm</think>\n\nWhat is 2+2?  "),
            ChatMessage.assistant("4\n"));

    static Stream<Arguments> rendered() {
        return Stream.of(
            Arguments.of("llama3", LLAMA3, CONVERSATION, true,
                    "<BOS><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello, how can I help?<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nTell me a joke.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
            Arguments.of("llama3", LLAMA3, THINKING, false,
                    "<BOS><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n<think>hmm</think>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>"),
            Arguments.of("qwen25", QWEN25, CONVERSATION, true,
                    "<|im_start|>system\nYou are helpful. <|im_end|>\n<|im_start|>user\n Hi!\n<|im_end|>\n<|im_start|>assistant\nHello, how can I help?<|im_end|>\n<|im_start|>user\nTell me a joke.<|im_end|>\n<|im_start|>assistant\n"),
            Arguments.of("qwen25", QWEN25, HELLO, true,
                    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n"),
            Arguments.of("qwen25", QWEN25, THINKING, false,
                    "<|im_start|>system\n  Be brief.\t<|im_end|>\n<|im_start|>user\n<think>hmm</think>\n\nWhat is 2+2?  <|im_end|>\n<|im_start|>assistant\n4\n<|im_end|>\n"),
            Arguments.of("llama2", LLAMA2, CONVERSATION, true,
                    "<BOS>[INST] <<SYS>>\nYou are helpful. \n<</SYS>>\n\n Hi! [/INST] Hello, how can I help? <EOS><BOS>[INST] Tell me a joke. [/INST]"),
            Arguments.of("llama2", LLAMA2, THINKING, false,
                    "<BOS>[INST] <<SYS>>\n  Be brief.\t\n<</SYS>>\n\n<think>hmm</think>\n\nWhat is 2+2? [/INST] 4 <EOS>"),
            Arguments.of("blocks", BLOCKS, CONVERSATION, true,
                    "<BOS>\n    [SYSTEM] You are helpful.\n<USER>  Hi! |\n<ASSISTANT> Hello, how can I help? |\n<USER> Tell me a joke.\n(3 turns)<ASSISTANT>"),
            Arguments.of("blocks", BLOCKS, THINKING, false,
                    "<BOS>\n    [SYSTEM] Be brief.\n<USER> What is 2+2? |\n<ASSISTANT> 4\n(2 turns)"));
    }

    @ParameterizedTest(name = "{0} {2} generation prompt {3}")
    @MethodSource("rendered")
    void rendersLikeHuggingFace(String name, String template, List<ChatMessage> messages, boolean addGenerationPrompt,
                                String expected) {
        assertEquals(expected, ChatTemplate.of(template, SPECIALS, name).render(messages, addGenerationPrompt));
    }

    /**
     * Jinja's lstrip_blocks strips spaces and tabs from the start of a line up to a block tag,
     * and only there: "A: {% endif %}" keeps its space.
     */
    @Test
    void lstripBlocksStripsOnlyIndentationBeforeATag() {
        List<ChatMessage> one = List.of(new ChatMessage("user", "x"));
        assertEquals("[assistant] |", ChatTemplate.of("{% if add_generation_prompt %}[assistant] {% endif %}|", Map.of(), "t")
                .render(one, true));
        assertEquals("a\nb\n", ChatTemplate.of("a\n    {% if true %}\nb\n  {% endif %}\n", Map.of(), "t").render(one, false));
        assertEquals("  x", ChatTemplate.of("  {%+ if true %}x{% endif %}", Map.of(), "t").render(one, false));
    }

    @Test
    void raiseExceptionBecomesARecallExceptionWithTheTemplatesMessage() {
        ChatTemplate llama2 = ChatTemplate.of(LLAMA2, SPECIALS, "llama-2");
        RecallException e = assertThrows(RecallException.class,
                () -> llama2.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true));
        assertEquals("the chat template of llama-2 refused the conversation: "
                + "Conversation roles must alternate user/assistant/user/assistant/...", e.getMessage());
    }

    @Test
    void reversedSlicesWork() {
        ChatTemplate t = ChatTemplate.of("{% for m in messages[::-1] %}{{ m.role }},{% endfor %}{{ 'abc'[::-1] }}"
                + "{{ messages[::-1][0].content }}", Map.of(), "reversed");
        assertEquals("assistant,user,system,cba4\n", t.render(THINKING, false));
    }

    /** Constructs the earlier engine (Jinjava) could not run: a filtered loop and stepped slices. */
    @Test
    void filteredLoopsAndSteppedSlicesRunAsInJinja() {
        ChatTemplate filtered = ChatTemplate.of(
                "{% for m in messages if m.role != 'system' %}{{ loop.index }}/{{ loop.length }}:{{ m.role }} {% endfor %}",
                Map.of(), "filtered");
        assertEquals("1/2:user 2/2:assistant ", filtered.render(THINKING, false));
        assertEquals("['system', 'assistant']", ChatTemplate.of("{{ (messages|map(attribute='role')|list)[::2] }}", Map.of(), "stepped")
                .render(THINKING, false));
        // Text outside tags is output as it stands, whatever it looks like.
        assertEquals("for x in y if z [1:2:3] [::-1] 1", ChatTemplate.of(
                "for x in y if z [1:2:3] [::-1] {{ messages|length }}", Map.of(), "text").render(HELLO, true));
    }

    @Test
    void templateErrorsNameTheTemplate() {
        ChatTemplate broken = ChatTemplate.of("{% if messages %}unclosed", Map.of(), "broken.jinja");
        RecallException e = assertThrows(RecallException.class, () -> broken.render(HELLO, true));
        assertEquals("the chat template of broken.jinja failed at line 1: the template ends before '{% elif %}' or "
                + "'{% else %}' or '{% endif %}'", e.getMessage());
        ChatTemplate undefined = ChatTemplate.of("line 1\n{{ messages[0].content }}\n{{ nothing.at_all }}", Map.of(), "u.jinja");
        e = assertThrows(RecallException.class, () -> undefined.render(HELLO, true));
        assertEquals("the chat template of u.jinja failed at line 3: 'nothing' is undefined", e.getMessage());
    }
}
