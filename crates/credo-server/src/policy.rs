//! Who may do what. Every route is listed in [`ROUTES`] with the [`Action`] it performs, and [`decide`] is the
//! only function that says yes or no; a route missing from the table is refused to everyone (default deny).
//!
//! Roles follow 等保 2.0's separation of duties (三员分立): the 系统管理员 runs the platform (departments), the
//! 安全管理员 holds the keys to it (department users' and subject accounts, permissions, API keys), the 审计管理员
//! reads the audit trail and nothing else; none of them can do another's work, and none can create, change or
//! disable an operator's account: those are made and recovered with `credo user` on the server
//! ([`Role::is_operator`]). Department users act only for their own department, subject accounts only for their
//! own subject; case pages and the case API further check the department (see `crate::cases::viewer`).

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

/// What a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Public pages and data (公示): anyone.
    Public,
    /// Signing in: anyone (limited by lock-out and rate limits).
    SignIn,
    /// Own account: who am I, change password.
    Own,
    /// Signing out: anyone (a visitor whose session already ended just has the cookie cleared); audited.
    SignOut,
    SubmitBatch,
    ReadBatch,
    ReadUnresolved,
    ReadDepartments,
    ManageDepartments,
    ManagePermissions,
    ManageKeys,
    ReadAccounts,
    ManageAccounts,
    ReadAudit,
    /// A subject account's own records (with non-public fields) and access log.
    OwnSubject,
    /// 联合奖惩核查 (audited by the check itself: one event per subject asked about).
    Check,
    /// A check's receipt and feedback (own department).
    CheckFollowUp,
    /// Check statistics and pending feedback (own department; 系统管理员: all).
    CheckStats,
    /// Filing an objection or a report, tracking a case by its number: anyone (the handler decides what it shows).
    FileCase,
    /// Handling objections, repairs, reports and commitment breaches (own department; 信用审核员: review).
    HandleCase,
    /// The operators' dashboards (运行监测).
    Dashboard,
}

impl Action {
    /// Actions whose handlers write their own, more precise audit events (the guard still audits refusals).
    pub fn audits_itself(self) -> bool {
        matches!(self, Action::Public | Action::SignIn | Action::Check | Action::FileCase)
    }

    /// The audit trail's name for it.
    pub fn code(self) -> &'static str {
        match self {
            Action::Public => "public.read",
            Action::SignIn => "session.sign_in",
            Action::Own => "account.own",
            Action::SignOut => "session.sign_out",
            Action::SubmitBatch => "batch.submit",
            Action::ReadBatch => "batch.read",
            Action::ReadUnresolved => "unresolved.read",
            Action::ReadDepartments => "department.read",
            Action::ManageDepartments => "department.manage",
            Action::ManagePermissions => "department.permissions",
            Action::ManageKeys => "key.manage",
            Action::ReadAccounts => "account.read",
            Action::ManageAccounts => "account.manage",
            Action::ReadAudit => "audit.read",
            Action::OwnSubject => "subject.own",
            Action::Check => "check",
            Action::CheckFollowUp => "check.follow_up",
            Action::CheckStats => "check.stats",
            Action::FileCase => "case.file",
            Action::HandleCase => "case.handle",
            Action::Dashboard => "dashboard.read",
        }
    }
}

/// Every route: method, path pattern (as registered with axum) and action.
pub const ROUTES: &[(&str, &str, Action)] = &[
    ("GET", "/", Action::Public),
    ("GET", "/healthz", Action::Public),
    ("GET", "/api/v1/subjects", Action::Public),
    ("GET", "/api/v1/subjects/{key}", Action::Public),
    ("GET", "/api/v1/catalog", Action::Public),
    ("POST", "/api/v1/session", Action::SignIn),
    ("DELETE", "/api/v1/session", Action::SignOut),
    ("GET", "/api/v1/me", Action::Own),
    ("POST", "/api/v1/me/password", Action::Own),
    ("GET", "/api/v1/me/records", Action::OwnSubject),
    ("GET", "/api/v1/me/access-log", Action::OwnSubject),
    ("POST", "/api/v1/batches", Action::SubmitBatch),
    ("GET", "/api/v1/batches/{id}", Action::ReadBatch),
    ("GET", "/api/v1/unresolved", Action::ReadUnresolved),
    ("GET", "/api/v1/departments", Action::ReadDepartments),
    ("POST", "/api/v1/departments", Action::ManageDepartments),
    ("PUT", "/api/v1/departments/{uscc}/permissions", Action::ManagePermissions),
    ("GET", "/api/v1/departments/{uscc}/keys", Action::ManageKeys),
    ("POST", "/api/v1/departments/{uscc}/keys", Action::ManageKeys),
    ("DELETE", "/api/v1/keys/{prefix}", Action::ManageKeys),
    ("GET", "/api/v1/accounts", Action::ReadAccounts),
    ("POST", "/api/v1/accounts", Action::ManageAccounts),
    ("POST", "/api/v1/accounts/{username}/disable", Action::ManageAccounts),
    ("POST", "/api/v1/accounts/{username}/enable", Action::ManageAccounts),
    ("POST", "/api/v1/accounts/{username}/unlock", Action::ManageAccounts),
    ("GET", "/api/v1/audit", Action::ReadAudit),
    ("GET", "/api/v1/audit/verify", Action::ReadAudit),
    ("POST", "/api/v1/checks", Action::Check),
    ("GET", "/api/v1/checks/stats", Action::CheckStats),
    ("POST", "/api/v1/checks/jobs", Action::Check),
    ("GET", "/api/v1/checks/jobs/{id}", Action::CheckFollowUp),
    ("GET", "/api/v1/checks/{id}", Action::CheckFollowUp),
    ("POST", "/api/v1/checks/{id}/feedback", Action::CheckFollowUp),
    ("GET", "/api/v1/records/{id}", Action::Public),
    ("POST", "/api/v1/records/{id}/breach", Action::HandleCase),
    ("POST", "/api/v1/objections", Action::FileCase),
    ("POST", "/api/v1/repairs", Action::OwnSubject),
    ("POST", "/api/v1/reports", Action::FileCase),
    ("GET", "/api/v1/challenge", Action::Public),
    ("GET", "/api/v1/cases", Action::HandleCase),
    ("GET", "/api/v1/cases/{number}", Action::FileCase),
    ("POST", "/api/v1/cases/{number}/extend", Action::HandleCase),
    ("POST", "/api/v1/cases/{number}/decide", Action::HandleCase),
    ("GET", "/api/v1/cases/{number}/files/{n}", Action::HandleCase),
    ("GET", "/api/v1/me/cases", Action::OwnSubject),
    ("POST", "/api/v1/commitments", Action::OwnSubject),
    // The website (信用西宁): pages are routes like any other.
    ("GET", "/static/site.css", Action::Public),
    ("GET", "/search", Action::Public),
    ("GET", "/subjects/{key}", Action::Public),
    ("GET", "/records/{id}", Action::Public),
    ("GET", "/records/{id}/objection", Action::Public),
    ("POST", "/records/{id}/objection", Action::FileCase),
    ("GET", "/report", Action::Public),
    ("POST", "/report", Action::FileCase),
    ("GET", "/lists/{list}", Action::Public),
    ("GET", "/policy", Action::Public),
    ("GET", "/verify", Action::Public),
    ("GET", "/cases", Action::Public),
    ("GET", "/cases/{number}", Action::Public),
    ("GET", "/sign-in", Action::Public),
    ("POST", "/sign-in", Action::SignIn),
    ("POST", "/sign-out", Action::SignOut),
    ("GET", "/console", Action::Own),
    ("GET", "/console/cases/{number}", Action::HandleCase),
    ("POST", "/console/cases/{number}", Action::HandleCase),
    ("GET", "/console/upload", Action::SubmitBatch),
    ("POST", "/console/upload", Action::SubmitBatch),
    ("GET", "/admin", Action::Dashboard),
    ("GET", "/admin/departments", Action::ReadDepartments),
    ("GET", "/admin/accounts", Action::ReadAccounts),
    ("GET", "/admin/catalog", Action::Dashboard),
    ("GET", "/me", Action::OwnSubject),
    ("POST", "/me/repairs", Action::OwnSubject),
    ("POST", "/me/commitments", Action::OwnSubject),
];

/// The action of a route, if it is listed.
pub fn action_for(method: &str, path: &str) -> Option<Action> {
    ROUTES.iter().find(|(m, p, _)| *m == method && *p == path).map(|(_, _, a)| *a)
}

/// The methods the table lists for a route (to answer 405 with `Allow` for any other).
pub fn methods_for(path: &str) -> Vec<&'static str> {
    ROUTES.iter().filter(|(_, p, _)| *p == path).map(|(m, _, _)| *m).collect()
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

    /// The department acting, for department users and keys.
    pub fn department(&self) -> Option<&Department> {
        match self {
            Principal::Account { department, .. } => department.as_deref(),
            Principal::Key { department, .. } => Some(department),
            Principal::Anonymous => None,
        }
    }
}

/// The answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not signed in (401).
    SignInRequired,
    /// Signed in, but not allowed (403).
    Forbidden,
}

/// The policy: default deny, then the grants below.
pub fn decide(p: &Principal, action: Action) -> Decision {
    use Action::*;
    let granted = match (p, action) {
        (_, Public | SignIn | SignOut | FileCase) => return Decision::Allow,
        (Principal::Anonymous, _) => return Decision::SignInRequired,
        (Principal::Account { .. }, Own) => true,
        (Principal::Account { role, .. }, _) => matches!(
            (role, action),
            (Role::Submitter, SubmitBatch | ReadBatch | ReadUnresolved)
                | (Role::Checker, Check | CheckFollowUp | CheckStats)
                | (Role::Sysadmin, ReadDepartments | ManageDepartments | CheckStats)
                | (Role::Secadmin, ReadDepartments | ManagePermissions | ManageKeys | ReadAccounts | ManageAccounts)
                | (Role::Auditor, ReadDepartments | ReadAccounts | ReadAudit)
                | (Role::Subject, OwnSubject)
                | (Role::Handler | Role::Reviewer, HandleCase)
                | (Role::Sysadmin | Role::Secadmin | Role::Auditor | Role::Reviewer, Dashboard)
        ),
        (Principal::Key { key, .. }, _) => {
            let scope = |s: &str| key.scopes.iter().any(|k| k == s);
            (matches!(action, SubmitBatch | ReadBatch | ReadUnresolved) && scope("submit"))
                || (matches!(action, Check | CheckFollowUp | CheckStats) && scope("check"))
        }
    };
    if granted { Decision::Allow } else { Decision::Forbidden }
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

    #[test]
    fn every_route_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for (m, p, _) in ROUTES {
            assert!(seen.insert((m, p)), "{m} {p} listed twice");
        }
    }
}
