using System.CommandLine;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet completion bash|zsh</c>: prints a script that asks <c>fleet</c> itself for completions through
/// System.CommandLine's <c>[suggest:POSITION]</c> directive, so completions always match the installed binary.
/// </summary>
internal static class CompletionCommand
{
    private const string Bash = """
        # fleet completion for bash: source <(fleet completion bash)
        _fleet_complete() {
            local line="${COMP_LINE:0:COMP_POINT}"
            local IFS=$'\n'
            COMPREPLY=( $(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _fleet_complete fleet

        """;

    private const string Zsh = """
        #compdef fleet
        # fleet completion for zsh: source <(fleet completion zsh)
        _fleet_complete() {
            local line="${BUFFER[1,CURSOR]}"
            local -a completions
            completions=("${(@f)$("${words[1]}" "[suggest:${#line}]" "$line" 2>/dev/null)}")
            compadd -a completions
        }
        compdef _fleet_complete fleet

        """;

    public static Command Create()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print a shell completion script: source <(fleet completion bash)") { shell };
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.Write(parse.GetRequiredValue(shell) == "zsh" ? Zsh : Bash);
            return CliHost.Success;
        });
        return command;
    }
}
