//! Who may do what. Every route is listed in [`ROUTES`] with the [`Action`] it performs, and [`decide`] is the
//! only function that says yes or no; a route missing from the table is refused to everyone (default deny).
//!
//! Roles follow 等保 2.0's separation of duties (三员分立): the 系统管理员 runs the platform (departments), the
//! 安全管理员 holds the keys to it (department users' and subject accounts, permissions, API keys), the 审计管理员
//! reads the audit trail and nothing else; none of them can do another's work, and none can create, change or
//! disable an operator's account: those are made and recovered with `credo user` on the server
//! ([`Role::is_operator`]). Department users act only for their own department, subject accounts only for their
//! own subject; case pages and the case API further check the department (see `credo_app::cases::viewer`).

use credo_app::principal::{Principal, Role};
use serde::Serialize;

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
    /// The own department's records with all their fields (报送员, 案件办理员).
    ReadRecords,
    /// Filing an objection or a report, tracking a case by its number: anyone (the handler decides what it shows).
    FileCase,
    /// Handling objections, repairs, reports and commitment breaches (own department; 信用审核员: review).
    HandleCase,
    /// The operators' dashboards (运行监测).
    Dashboard,
    /// Webhook subscriptions and their deliveries (own department: 核查员, check keys).
    Subscribe,
    /// 主体识别: a queued record's candidates, judgements and their undoing (信用审核员; a department's 报送员 and
    /// submission keys for its own records: `credo_app::resolve` checks whose).
    Resolve,
    /// 信用动态、政策法规、典型案例: drafting (系统管理员) and review, publication and taking down (信用审核员,
    /// not the author: `credo_app::articles` checks which step is whose).
    Publish,
    /// 融资对接 on the lender's side: products, the applications to its department, its answers, the recommended
    /// list (部门核查员 and `check` keys of the lender's department).
    Lend,
    /// 政务诚信 steps: a government body's 报送员 and 案件办理员 and its `submit` keys (its 政务承诺, arrears paid), the
    /// credit office's 信用审核员 (arrears paid, the agencies' register); `credo_app::integrity` checks whose.
    Integrity,
    /// 公务员诚信档案: 核查员 and 案件办理员 of a department granted the archive (`credo_app::integrity` checks the
    /// grant and audits every read and refusal).
    ReadArchive,
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
            Action::ReadRecords => "record.read",
            Action::FileCase => "case.file",
            Action::HandleCase => "case.handle",
            Action::Dashboard => "dashboard.read",
            Action::Resolve => "resolve",
            Action::Subscribe => "webhook.manage",
            Action::Publish => "article.manage",
            Action::Lend => "loan.manage",
            Action::Integrity => "integrity.manage",
            Action::ReadArchive => "archive.read",
        }
    }
}

/// Every route: method, path pattern (as registered with axum) and action.
pub const ROUTES: &[(&str, &str, Action)] = &[
    ("GET", "/", Action::Public),
    ("GET", "/healthz", Action::Public),
    ("GET", "/api/v1/subjects", Action::Public),
    ("GET", "/api/v1/subjects/{key}", Action::Public),
    ("GET", "/api/v1/subjects/{key}/report", Action::Public),
    ("GET", "/api/v1/subjects/{key}/grades", Action::Public),
    ("GET", "/api/v1/feed", Action::Public),
    // Operators or loopback only: the handler decides (`metrics::may_read`).
    ("GET", "/metrics", Action::Public),
    ("GET", "/api/v1/reconcile", Action::Public),
    ("POST", "/api/v1/reconcile", Action::Public),
    ("GET", "/api/v1/webhooks", Action::Subscribe),
    ("POST", "/api/v1/webhooks", Action::Subscribe),
    ("DELETE", "/api/v1/webhooks/{id}", Action::Subscribe),
    ("GET", "/api/v1/webhooks/{id}/deliveries", Action::Subscribe),
    ("POST", "/api/v1/webhooks/deliveries/{id}/redeliver", Action::Subscribe),
    ("GET", "/console/webhooks", Action::Subscribe),
    ("POST", "/console/webhooks", Action::Subscribe),
    ("POST", "/console/webhooks/{id}/end", Action::Subscribe),
    ("POST", "/console/webhook-deliveries/{id}/redeliver", Action::Subscribe),
    ("GET", "/api/v1/articles", Action::Public),
    ("POST", "/api/v1/articles", Action::Publish),
    ("GET", "/api/v1/articles/{id}", Action::Public),
    ("PUT", "/api/v1/articles/{id}", Action::Publish),
    ("POST", "/api/v1/articles/{id}/steps", Action::Publish),
    ("GET", "/api/v1/products", Action::Public),
    ("POST", "/api/v1/products", Action::Lend),
    ("POST", "/api/v1/products/{id}/close", Action::Lend),
    ("GET", "/api/v1/loan-applications", Action::Lend),
    ("POST", "/api/v1/loan-applications/{id}/decision", Action::Lend),
    ("GET", "/api/v1/loan-recommendations", Action::Lend),
    ("GET", "/api/v1/me/loan-applications", Action::OwnSubject),
    ("POST", "/api/v1/me/loan-applications", Action::OwnSubject),
    ("POST", "/api/v1/me/loan-applications/{id}/withdraw", Action::OwnSubject),
    ("GET", "/api/v1/integrity", Action::Public),
    ("GET", "/api/v1/integrity/bodies/{code}", Action::Public),
    ("POST", "/api/v1/integrity/commitments", Action::Integrity),
    ("POST", "/api/v1/integrity/commitments/{id}/settle", Action::Integrity),
    ("POST", "/api/v1/integrity/arrears/{id}/paid", Action::Integrity),
    ("POST", "/api/v1/me/gov-complaints", Action::OwnSubject),
    ("POST", "/api/v1/civil-servants/archive", Action::ReadArchive),
    ("GET", "/api/v1/agencies", Action::Public),
    ("POST", "/api/v1/agencies", Action::Integrity),
    ("GET", "/api/v1/agencies/{id}", Action::Public),
    ("POST", "/api/v1/agencies/{id}/staff", Action::Integrity),
    ("POST", "/api/v1/agencies/{id}/evaluations", Action::Integrity),
    ("GET", "/integrity", Action::Public),
    ("GET", "/integrity/{code}", Action::Public),
    ("GET", "/agencies", Action::Public),
    ("GET", "/agencies/{id}", Action::Public),
    ("GET", "/api/v1/supervision/draws", Action::Public),
    ("POST", "/api/v1/supervision/draws", Action::SubmitBatch),
    ("GET", "/api/v1/supervision/draws/{number}", Action::Public),
    ("POST", "/api/v1/supervision/draws/{number}/results", Action::SubmitBatch),
    ("GET", "/api/v1/keys/platform.pem", Action::Public),
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
    ("GET", "/api/v1/unresolved/{id}", Action::Resolve),
    ("GET", "/api/v1/judgements", Action::Resolve),
    ("POST", "/api/v1/judgements", Action::Resolve),
    ("POST", "/api/v1/judgements/{id}/undo", Action::Resolve),
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
    ("POST", "/api/v1/grade-objections", Action::FileCase),
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
    // The API's own description (OpenAPI 3.1) and its page (Swagger UI, served from the binary).
    ("GET", "/api/v1/openapi.json", Action::Public),
    ("GET", "/api/docs", Action::Public),
    ("GET", "/api/docs/", Action::Public),
    ("GET", "/api/docs/{file}", Action::Public),
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
    ("GET", "/supervision", Action::Public),
    ("GET", "/supervision/{number}", Action::Public),
    ("GET", "/policy", Action::Public),
    ("GET", "/districts", Action::Public),
    ("GET", "/districts/{code}", Action::Public),
    ("GET", "/open", Action::Public),
    ("GET", "/open/{day}/{file}", Action::Public),
    ("GET", "/rural", Action::Public),
    ("GET", "/finance", Action::Public),
    ("GET", "/honours", Action::Public),
    ("GET", "/honours/{id}", Action::Public),
    ("GET", "/console/honours", Action::HandleCase),
    ("POST", "/console/honours/{id}", Action::HandleCase),
    ("POST", "/me/honours", Action::OwnSubject),
    ("POST", "/me/gov-complaints", Action::OwnSubject),
    ("GET", "/api/v1/honours", Action::Public),
    ("GET", "/api/v1/honours/applications", Action::HandleCase),
    ("POST", "/api/v1/honours/{id}/steps", Action::HandleCase),
    ("POST", "/api/v1/me/honours", Action::OwnSubject),
    ("GET", "/console/finance", Action::Lend),
    ("POST", "/console/finance/products", Action::Lend),
    ("POST", "/console/finance/applications/{id}", Action::Lend),
    ("POST", "/me/loan-applications", Action::OwnSubject),
    ("POST", "/me/loan-applications/{id}/withdraw", Action::OwnSubject),
    ("GET", "/news", Action::Public),
    ("GET", "/news/feed.xml", Action::Public),
    ("GET", "/news/{id}", Action::Public),
    ("GET", "/console/articles", Action::Publish),
    ("POST", "/console/articles", Action::Publish),
    ("GET", "/console/articles/{id}", Action::Publish),
    ("POST", "/console/articles/{id}", Action::Publish),
    ("POST", "/console/articles/{id}/steps", Action::Publish),
    ("GET", "/verify", Action::Public),
    ("GET", "/cases", Action::Public),
    ("GET", "/cases/{number}", Action::Public),
    ("GET", "/sign-in", Action::Public),
    ("POST", "/sign-in", Action::SignIn),
    ("POST", "/sign-out", Action::SignOut),
    ("GET", "/console", Action::Own),
    ("GET", "/console/cases/{number}", Action::HandleCase),
    ("POST", "/console/cases/{number}", Action::HandleCase),
    ("GET", "/console/unresolved", Action::Resolve),
    ("GET", "/console/unresolved/{id}", Action::Resolve),
    ("POST", "/console/unresolved/{id}", Action::Resolve),
    ("POST", "/console/judgements/{id}/undo", Action::Resolve),
    ("GET", "/console/upload", Action::SubmitBatch),
    ("POST", "/console/upload", Action::SubmitBatch),
    ("GET", "/console/batches", Action::ReadBatch),
    ("GET", "/console/batches/{id}", Action::ReadBatch),
    ("GET", "/console/batches/{id}/report.csv", Action::ReadBatch),
    ("GET", "/console/templates/{file}", Action::SubmitBatch),
    ("GET", "/console/records/new", Action::SubmitBatch),
    ("POST", "/console/records", Action::SubmitBatch),
    ("GET", "/console/records/{id}", Action::ReadRecords),
    ("POST", "/console/records/{id}/withdraw", Action::HandleCase),
    ("GET", "/console/checks", Action::Check),
    ("POST", "/console/checks", Action::Check),
    ("POST", "/console/checks/file", Action::Check),
    ("POST", "/console/reports", Action::Check),
    ("GET", "/console/checks/jobs/{id}", Action::CheckFollowUp),
    ("GET", "/console/checks/{id}", Action::CheckFollowUp),
    ("GET", "/console/checks/{id}/receipt.json", Action::CheckFollowUp),
    ("POST", "/console/checks/{id}/feedback", Action::CheckFollowUp),
    ("GET", "/admin", Action::Dashboard),
    ("GET", "/admin/departments", Action::ReadDepartments),
    ("POST", "/admin/departments", Action::ManageDepartments),
    ("GET", "/admin/departments/{uscc}", Action::ReadDepartments),
    ("POST", "/admin/departments/{uscc}/permissions", Action::ManagePermissions),
    ("POST", "/admin/departments/{uscc}/keys", Action::ManageKeys),
    ("POST", "/admin/keys/{prefix}/revoke", Action::ManageKeys),
    ("GET", "/admin/accounts", Action::ReadAccounts),
    ("POST", "/admin/accounts", Action::ManageAccounts),
    ("POST", "/admin/accounts/{id}/state", Action::ManageAccounts),
    ("GET", "/admin/catalog", Action::Dashboard),
    ("GET", "/admin/audit", Action::ReadAudit),
    ("GET", "/admin/audit/verify", Action::ReadAudit),
    ("GET", "/me", Action::OwnSubject),
    ("POST", "/me/repairs", Action::OwnSubject),
    ("POST", "/me/commitments", Action::OwnSubject),
    ("POST", "/me/authorisations", Action::OwnSubject),
    ("POST", "/me/authorisations/{id}/withdraw", Action::OwnSubject),
    ("POST", "/me/password", Action::Own),
    // Accounts for subjects: applying, setting the password by a one-time link, the 统一身份认证; the review.
    ("GET", "/register", Action::Public),
    ("POST", "/register", Action::FileCase),
    ("GET", "/account/password", Action::Public),
    ("POST", "/account/password", Action::SignIn),
    ("GET", "/sign-in/idp", Action::Public),
    ("GET", "/sign-in/idp/callback", Action::SignIn),
    ("GET", "/admin/enrolments", Action::ManageAccounts),
    ("POST", "/admin/enrolments/{number}", Action::ManageAccounts),
    ("GET", "/admin/enrolments/{number}/files/{n}", Action::ManageAccounts),
    ("POST", "/admin/accounts/{id}/reset-link", Action::ManageAccounts),
];

/// The action of a route, if it is listed.
pub fn action_for(method: &str, path: &str) -> Option<Action> {
    ROUTES.iter().find(|(m, p, _)| *m == method && *p == path).map(|(_, _, a)| *a)
}

/// The methods the table lists for a route (to answer 405 with `Allow` for any other).
pub fn methods_for(path: &str) -> Vec<&'static str> {
    ROUTES.iter().filter(|(_, p, _)| *p == path).map(|(m, _, _)| *m).collect()
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

/// Actions anyone may perform, signed in or not.
pub fn anyone_may(action: Action) -> bool {
    matches!(action, Action::Public | Action::SignIn | Action::SignOut | Action::FileCase)
}

/// Whether an account of `role` may perform `action` (besides what [`anyone_may`]).
pub fn role_may(role: Role, action: Action) -> bool {
    use Action::*;
    action == Own
        || matches!(
            (role, action),
            (Role::Submitter, SubmitBatch | ReadBatch | ReadUnresolved)
                | (Role::Checker, Check | CheckFollowUp | CheckStats | Subscribe | Lend)
                | (Role::Sysadmin, ReadDepartments | ManageDepartments | CheckStats)
                | (Role::Secadmin, ReadDepartments | ManagePermissions | ManageKeys | ReadAccounts | ManageAccounts)
                | (Role::Auditor, ReadDepartments | ReadAccounts | ReadAudit)
                | (Role::Subject, OwnSubject)
                | (Role::Handler | Role::Reviewer, HandleCase)
                | (Role::Submitter | Role::Reviewer, Resolve)
                | (Role::Submitter | Role::Handler, ReadRecords)
                | (Role::Sysadmin | Role::Secadmin | Role::Auditor | Role::Reviewer, Dashboard)
                | (Role::Sysadmin | Role::Reviewer, Publish)
                | (Role::Submitter | Role::Handler | Role::Reviewer, Integrity)
                | (Role::Checker | Role::Handler, ReadArchive)
        )
}

/// Whether a department API key with `scope` (one of [`credo_app::keys::SCOPES`]) may perform `action`.
pub fn scope_may(scope: &str, action: Action) -> bool {
    use Action::*;
    (matches!(action, SubmitBatch | ReadBatch | ReadUnresolved | Resolve | Integrity) && scope == "submit")
        || (matches!(action, Check | CheckFollowUp | CheckStats | Subscribe | Lend) && scope == "check")
}

/// The policy: default deny, then the grants above.
pub fn decide(p: &Principal, action: Action) -> Decision {
    if anyone_may(action) {
        return Decision::Allow;
    }
    let granted = match p {
        Principal::Anonymous => return Decision::SignInRequired,
        Principal::Account { role, .. } => role_may(*role, action),
        Principal::Key { key, .. } => key.scopes.iter().any(|s| scope_may(s, action)),
    };
    if granted { Decision::Allow } else { Decision::Forbidden }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for (m, p, _) in ROUTES {
            assert!(seen.insert((m, p)), "{m} {p} listed twice");
        }
    }
}
