//! Who is acting: an account with its role (and department), a department's API key, or an anonymous visitor; and
//! the rules every account follows (separation of duties between roles, the password rule). What each of them may
//! do on which route is the HTTP layer's policy table (`credo_server::policy`).

use credo_store::{Account, ApiKey, Department};
use serde::Serialize;

/// An account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: departments and platform configuration.
    Sysadmin,
    /// 安全管理员: accounts, department permissions, API keys.
    Secadmin,
    /// 审计管理员: the audit trail.
    Auditor,
    /// 信用审核员: reviews objection and repair cases (platform side).
    Reviewer,
    /// 部门报送员: submits the department's data.
    Submitter,
    /// 部门核查员: checks subjects before decisions (联合奖惩).
    Checker,
    /// 部门案件办理员: handles the department's objection and repair cases.
    Handler,
    /// 信用主体: an enterprise or person bound to its own subject.
    Subject,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Sysadmin,
        Role::Secadmin,
        Role::Auditor,
        Role::Reviewer,
        Role::Submitter,
        Role::Checker,
        Role::Handler,
        Role::Subject,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Sysadmin => "sysadmin",
            Role::Secadmin => "secadmin",
            Role::Auditor => "auditor",
            Role::Reviewer => "reviewer",
            Role::Submitter => "submitter",
            Role::Checker => "checker",
            Role::Handler => "handler",
            Role::Subject => "subject",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Sysadmin => "系统管理员",
            Role::Secadmin => "安全管理员",
            Role::Auditor => "审计管理员",
            Role::Reviewer => "信用审核员",
            Role::Submitter => "部门报送员",
            Role::Checker => "部门核查员",
            Role::Handler => "部门案件办理员",
            Role::Subject => "信用主体",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s || r.label() == s)
    }

    /// Department users belong to a department.
    pub fn needs_department(self) -> bool {
        matches!(self, Role::Submitter | Role::Checker | Role::Handler)
    }

    /// The credit office's operators: the three of 三员分立 (系统管理员, 安全管理员, 审计管理员) and the 信用审核员,
    /// who reads every department's objections and repairs. Their accounts are created, re-keyed, disabled and
    /// unlocked only with `credo user` on the server, never through the API or the pages, so that no operator can
    /// make, take over or silence another (GB/T 22239-2019, level 3: 8.1.4.2 d) 管理用户的权限分离, 8.1.10 安全管理中心).
    pub fn is_operator(self) -> bool {
        matches!(self, Role::Sysadmin | Role::Secadmin | Role::Auditor | Role::Reviewer)
    }

    /// Operators and department users must use a second factor (TOTP); subject accounts may.
    pub fn needs_totp(self) -> bool {
        self != Role::Subject
    }
}

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    Account { account: Box<Account>, role: Role, department: Option<Box<Department>> },
    Key { key: Box<ApiKey>, department: Box<Department> },
}

impl Principal {
    /// The audit trail's actor, role and department.
    pub fn actor(&self) -> (String, String, Option<String>) {
        match self {
            Principal::Anonymous => ("anonymous".into(), "anonymous".into(), None),
            Principal::Account { account, role, department } => {
                (account.username.clone(), role.code().into(), department.as_ref().map(|d| d.uscc.clone()))
            }
            Principal::Key { key, department } => {
                (format!("key:{}", key.prefix), "api_key".into(), Some(department.uscc.clone()))
            }
        }
    }

    /// The district an operator account is limited to (区县管理员; see `credo_app::admin`), `None` for the whole
    /// city.
    pub fn district(&self) -> Option<&str> {
        match self {
            Principal::Account { account, .. } => account.region.as_deref(),
            _ => None,
        }
    }

    /// The department acting, for department users and keys.
    pub fn department(&self) -> Option<&Department> {
        match self {
            Principal::Account { department, .. } => department.as_deref(),
            Principal::Key { department, .. } => Some(department),
            Principal::Anonymous => None,
        }
    }
}

/// Whether a department may submit `item` (its permissions name it).
pub fn may_submit(department: &Department, item: &str) -> bool {
    department.permissions.items.iter().any(|i| i == item)
}

/// The password rule: at least 10 characters from at least three of upper case, lower case, digits and symbols,
/// not containing the user name, not a well-known password.
pub fn check_password(username: &str, password: &str) -> Result<(), String> {
    const COMMON: [&str; 8] = ["password", "12345678", "qwerty", "admin", "credo", "xining", "111111", "abc123"];
    let n = password.chars().count();
    if n < 10 {
        return Err(format!("密码至少 10 位(现为 {n} 位)"));
    }
    if n > 128 {
        return Err("密码不能超过 128 位".into());
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err("密码须包含大写字母、小写字母、数字、符号中的至少三类".into());
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err("密码不能包含账号名".into());
    }
    if COMMON.iter().any(|c| lower.contains(c)) {
        return Err("密码包含常见弱口令片段".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule() {
        assert!(check_password("zhang", "Xn-2026-credit!").is_ok());
        assert!(check_password("zhang", "Short1!").is_err());
        assert!(check_password("zhang", "alllowercaseletters").is_err());
        assert!(check_password("zhang", "Zhang-2026-abc").is_err(), "contains the user name");
        assert!(check_password("li", "Password-2026").is_err(), "common fragment");
    }

    #[test]
    fn roles_parse_by_code_and_label() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
            assert_eq!(Role::parse(r.label()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
