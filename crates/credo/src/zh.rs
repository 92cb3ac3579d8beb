//! The command line in Chinese: clap's own words (the help's headings, its help and version flags, the usage line,
//! its error messages) replaced, for every subcommand, so that an operator reads `credo --help` and a mistyped
//! command in the same language as the rest of the platform. The doc comments on the commands are already Chinese.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};

const TEMPLATE: &str = "{about-with-newline}\n用法:{usage}\n\n{all-args}{after-help}";

/// `cmd` and all its subcommands with Chinese headings, help and version flags and usage lines.
pub fn localize(cmd: Command) -> Command {
    localize_at(cmd, "")
}

fn localize_at(mut cmd: Command, parent: &str) -> Command {
    let path = if parent.is_empty() { cmd.get_name().to_string() } else { format!("{parent} {}", cmd.get_name()) };
    cmd = cmd.mut_args(arg);
    let has_options = cmd.get_arguments().any(|a| !a.is_positional());
    let positionals: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.is_positional())
        .map(|a| {
            let name =
                a.get_value_names().and_then(|v| v.first()).map_or_else(|| a.get_id().to_string(), |v| v.to_string());
            if a.is_required_set() { format!(" <{name}>") } else { format!(" [{name}]") }
        })
        .collect();
    let has_subcommands = cmd.has_subcommands();
    let usage = format!(
        "{path}{}{}{}",
        if has_options || !has_subcommands { " [选项]" } else { "" },
        positionals.concat(),
        if has_subcommands { " <命令>" } else { "" }
    );
    cmd = cmd
        .help_template(TEMPLATE)
        .override_usage(usage)
        .subcommand_help_heading("命令")
        .subcommand_value_name("命令")
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .arg(Arg::new("help").short('h').long("help").action(ArgAction::Help).help("显示帮助").help_heading("选项"));
    if parent.is_empty() {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本")
                .help_heading("选项"),
        );
    }
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in names {
        cmd = cmd.mut_subcommand(&name, |s| localize_at(s, &path));
    }
    cmd
}

/// Words for arguments that have no doc comment of their own (shared ones like `--data`): id, value name, help.
const WORDS: [(&str, &str, &str); 9] = [
    ("data", "目录", "数据目录"),
    ("uscc", "代码", "部门的统一社会信用代码"),
    ("name", "名称", "名称"),
    ("region", "代码", "行政区划代码"),
    ("out", "文件", "输出文件"),
    ("username", "账号名", "账号名"),
    ("file", "文件", "文件"),
    ("date", "日期", "日期(年-月-日)"),
    ("prefix", "前缀", "密钥前缀"),
];

/// An argument in Chinese: its value named 值, its default and environment variable said in words after its help
/// (clap would print `<DATA>` and `[env: CREDO_DATA=]`), under the heading 参数 or 选项.
fn arg(a: Arg) -> Arg {
    let mut notes = Vec::new();
    let defaults: Vec<String> = a.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
    if !defaults.is_empty() && defaults.iter().any(|d| !d.is_empty()) && a.get_action().takes_values() {
        notes.push(format!("默认 {}", defaults.join(",")));
    }
    if let Some(env) = a.get_env() {
        notes.push(format!("可由环境变量 {} 给出", env.to_string_lossy()));
    }
    let words = WORDS.iter().find(|(id, _, _)| a.get_id() == *id);
    let help = a.get_help().map(ToString::to_string).filter(|h| !h.is_empty());
    let help = help.or_else(|| words.map(|(_, _, h)| h.to_string())).unwrap_or_default();
    let help = match (help.is_empty(), notes.is_empty()) {
        (_, true) => help,
        (true, false) => notes.join(";"),
        (false, false) => format!("{help}({})", notes.join(";")),
    };
    let a = match (a.get_action().takes_values(), words) {
        (true, Some((_, value, _))) => a.value_name(*value).hide_default_value(true),
        (true, None) => a.value_name("值").hide_default_value(true),
        (false, _) => a,
    };
    let heading = if a.is_positional() { "参数" } else { "选项" };
    a.hide_env(true).help(help).help_heading(heading)
}

fn context(e: &clap::Error, kind: ContextKind) -> String {
    match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join("、"),
        Some(ContextValue::StyledStr(s)) => s.to_string(),
        Some(ContextValue::StyledStrs(v)) => v.iter().map(ToString::to_string).collect::<Vec<_>>().join("、"),
        Some(ContextValue::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A parse error in words: what was wrong, and where to read the usage. Help and version are not errors.
pub fn message(e: &clap::Error) -> Option<String> {
    let arg = context(e, ContextKind::InvalidArg);
    let value = context(e, ContextKind::InvalidValue);
    let valid = context(e, ContextKind::ValidValue);
    let suggested = context(e, ContextKind::SuggestedSubcommand) + &context(e, ContextKind::SuggestedArg);
    let what = match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            return None;
        }
        ErrorKind::InvalidSubcommand => format!("没有命令“{}”", context(e, ContextKind::InvalidSubcommand)),
        ErrorKind::UnknownArgument => format!("不认识的选项“{arg}”"),
        ErrorKind::MissingRequiredArgument => format!("缺少必需的参数:{arg}"),
        ErrorKind::MissingSubcommand => "缺少命令".to_string(),
        ErrorKind::InvalidValue => {
            let allowed = if valid.is_empty() { String::new() } else { format!(",可选:{valid}") };
            format!("{arg} 的值“{value}”无效{allowed}")
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e).map(ToString::to_string).unwrap_or_default();
            format!("{arg} 的值“{value}”无效:{why}")
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            format!("{arg} 的值的个数不对")
        }
        ErrorKind::ArgumentConflict => {
            format!("{arg} 不能与 {} 同时使用", context(e, ContextKind::PriorArg))
        }
        ErrorKind::NoEquals => format!("{arg} 的值须以 = 给出"),
        ErrorKind::InvalidUtf8 => "参数不是有效的 UTF-8 文本".to_string(),
        _ => "命令行参数有误".to_string(),
    };
    let hint = if suggested.is_empty() { String::new() } else { format!("(是否想用“{suggested}”?)") };
    Some(format!("错误:{what}{hint}\n运行 credo --help 查看用法(各命令另有 --help)。"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every help page of every command, as an operator reads them.
    fn helps(cmd: &mut Command, out: &mut Vec<(String, String)>) {
        out.push((cmd.get_name().to_string(), cmd.render_help().to_string()));
        for s in cmd.get_subcommands_mut() {
            helps(s, out);
        }
    }

    #[test]
    fn help_and_errors_are_in_chinese() {
        let mut cmd = localize(crate::Cli::command());
        cmd.build();
        let mut pages = Vec::new();
        helps(&mut cmd, &mut pages);
        assert!(pages.len() > 20, "every subcommand: {}", pages.len());
        for (name, text) in &pages {
            for english in [
                "Usage",
                "Options",
                "Commands",
                "Arguments",
                "Print help",
                "Print version",
                "[OPTIONS]",
                "[env:",
                "[default:",
                "<DATA>",
            ] {
                assert!(!text.contains(english), "{name}: “{english}” in\n{text}");
            }
            assert!(text.contains("用法:") && text.contains("显示帮助"), "{name}:\n{text}");
        }
        let e = localize(crate::Cli::command()).try_get_matches_from(["credo", "serv"]).unwrap_err();
        let m = message(&e).unwrap();
        assert!(m.contains("没有命令“serv”") && m.contains("serve"), "{m}");
        let e = localize(crate::Cli::command()).try_get_matches_from(["credo", "serve", "--nope"]).unwrap_err();
        assert!(message(&e).unwrap().contains("不认识的选项“--nope”"));
        let e = localize(crate::Cli::command()).try_get_matches_from(["credo", "--help"]).unwrap_err();
        assert!(message(&e).is_none(), "help is printed, not refused");
    }
}
