//! What the API answers, described for OpenAPI ([`super::openapi`]). Most answers are built with `json!` from the
//! services' and the store's types, which know nothing of OpenAPI; the structs here say field by field what goes
//! out, and are never built. `tests/openapi.rs` holds them to the truth: every JSON answer the tests receive is
//! checked against the schema documented for it (an undocumented field, a missing one or a wrong type fails).
//!
//! Answers and request bodies that are the services' own types derive `ToSchema` where they are defined (the
//! cases' in `credo_app::cases`, public records and subjects in `credo_app::public` and `credo_app::search`) and
//! are only referred to here; request bodies and query parameters the handlers read are described on the handlers'
//! own types.
//!
//! The doc comments below are the document's descriptions, read by the departments' developers: Chinese, like the
//! rest of what users read.

use std::collections::BTreeMap;

use credo_app::public::{PublicRecord, PublicSubject, PublicityView};
use credo_app::search::SearchHit;
use credo_domain::catalog::{Disclosure, FieldType, Nature, SubjectKind};
use credo_store::{ApiKey, Department};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

// ---------------------------------------------------------------------------------------------------------------
// Subjects, records, the catalog (public)

/// 一站式查询结果:公众可知的信用主体,最相关者在前
#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    /// 查询词(其中的证件号码已遮蔽)
    query: String,
    /// 本次返回的条数
    count: usize,
    /// 公众可知的匹配主体总数(精确计数至 1,000(可翻阅的最大深度);超过时为 1,000,且 total_exact 为 false)
    total: usize,
    /// total 是否为精确数:false 表示匹配主体超过 total 个
    total_exact: bool,
    hits: Vec<SearchHit>,
}

/// 信用主体公示信息:正在公示的记录,按目录项分组
#[derive(Serialize, ToSchema)]
pub struct SubjectProfile {
    subject: PublicSubject,
    items: Vec<ItemGroup>,
    /// 分支机构的隶属企业(名称中“分公司”等之前的企业名称恰有一个主体时)
    head_office: Option<credo_app::search::SearchHit>,
    /// 分支机构(名称以本主体名称开头、以分公司、分店、营业部、办事处等结尾的主体)
    branches: Vec<credo_app::search::SearchHit>,
}

/// 信用主体的信用评价:平台按各评价方案计算的等级(含理由与历史),及各行业主管部门报送的行业信用评价
#[derive(Serialize, ToSchema)]
pub struct SubjectGrades {
    subject: PublicSubject,
    grades: Vec<GradeShown>,
    /// 行业信用评价(纳税信用、环境信用、交通运输信用等)正在公示的记录,按目录项分组
    sector: Vec<ItemGroup>,
}

/// 一个评价方案下的当前等级
#[derive(Serialize, ToSchema)]
pub struct GradeShown {
    /// 评价方案代码(`ggxy` 公共信用综合评价)
    scheme: String,
    scheme_name: String,
    /// 行业(行业评价方案);公共信用综合评价为 null
    sector: Option<String>,
    /// 等级代码(A、B、C、D……)
    grade: String,
    /// 等级名称(优、良、中、差)
    grade_name: String,
    grade_label: String,
    /// 等级的含义
    meaning: String,
    /// 分数(方案的分值范围内)
    score: i64,
    /// 影响最大的理由(限定等级的在前,其次按分值):每条对应一条公示记录
    reasons: Vec<GradeReason>,
    /// 影响评价的记录总数(可多于 reasons)
    moved_by: i64,
    #[schema(format = Date)]
    computed_on: String,
    /// 评价方案版本
    version: String,
    /// 方案说明(依据及核实情况)
    note: String,
    /// 此前的等级,新的在前:[等级, 分数, 计算日期]
    history: Vec<(String, i64, String)>,
}

/// 评价理由:一条记录及其对等级的影响
#[derive(Serialize, ToSchema)]
pub struct GradeReason {
    /// 指标编号
    indicator: String,
    record_id: i64,
    #[schema(format = Date)]
    on: Option<String>,
    /// 加减分
    points: i32,
    /// 该记录使等级最高为此
    cap: Option<String>,
    /// 理由的中文说明
    text: String,
}

#[derive(Serialize, ToSchema)]
pub struct ItemGroup {
    /// 目录项代码(`xzcf`……)
    item: String,
    item_name: String,
    count: usize,
    records: Vec<PublicRecord>,
}

/// 信用信息目录
#[derive(Serialize, ToSchema)]
pub struct Catalog {
    items: Vec<CatalogItem>,
}

#[derive(Serialize, ToSchema)]
pub struct CatalogItem {
    code: String,
    name: String,
    version: String,
    #[schema(format = Date)]
    effective_from: String,
    category: String,
    nature: Nature,
    disclosure: Disclosure,
    /// 标识一条记录的字段(相同取值再次报送即为新版本)
    natural_key: Vec<String>,
    fields: Vec<CatalogField>,
    rules: Vec<CatalogRule>,
}

#[derive(Serialize, ToSchema)]
pub struct CatalogField {
    code: String,
    name: String,
    #[serde(rename = "type")]
    kind: FieldType,
    required: bool,
    public: bool,
    /// 枚举字段的可选值
    values: Vec<String>,
    /// 多个值以 `;` 分隔
    multi: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CatalogRule {
    code: String,
    message: String,
}

// ---------------------------------------------------------------------------------------------------------------
// Accounts, departments, keys

/// 账号(不含密码散列与动态口令密钥)
#[derive(Serialize, ToSchema)]
pub struct Account {
    id: i64,
    username: String,
    name: String,
    /// 角色代码:`sysadmin`、`secadmin`、`auditor`、`reviewer`、`submitter`、`checker`、`handler`、`subject`
    role: String,
    department_id: Option<i64>,
    subject_id: Option<i64>,
    /// 区县管理员所限的区县(行政区划代码);空为全市
    region: Option<String>,
    failed_logins: i64,
    #[schema(format = DateTime)]
    locked_until: Option<String>,
    disabled: bool,
    #[schema(format = DateTime)]
    password_set_at: String,
    #[schema(format = DateTime)]
    created_at: String,
}

/// 已登录的会话:账号,及以会话进行写操作时须放在 `X-CSRF-Token` 请求头中的 CSRF 令牌
#[derive(Serialize, ToSchema)]
pub struct SessionStarted {
    account: Account,
    /// 角色名称
    role_label: Option<String>,
    csrf: String,
}

/// 当前身份
#[derive(Serialize, ToSchema)]
pub struct Me {
    account: Account,
    role_label: Option<String>,
    /// 部门用户所属部门
    department: Option<Department>,
    /// 会话的 CSRF 令牌(请求未带会话 Cookie 时为 `null`)
    csrf: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct KeyList {
    /// 部门的统一社会信用代码
    department: String,
    keys: Vec<ApiKey>,
}

/// 新密钥:`key` 只显示这一次
#[derive(Serialize, ToSchema)]
pub struct KeyCreated {
    /// `credo_<prefix>_<secret>`,用于 `Authorization: Bearer`
    key: String,
    record: ApiKey,
    notice: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccountList {
    count: usize,
    accounts: Vec<ListedAccount>,
}

#[derive(Serialize, ToSchema)]
pub struct ListedAccount {
    #[serde(flatten)]
    account: Account,
    role_label: Option<String>,
    totp_enrolled: bool,
}

/// 新账号:生成的密码与动态口令密钥只显示这一次
#[derive(Serialize, ToSchema)]
pub struct AccountCreated {
    account: Account,
    role_label: String,
    /// 未给密码时生成的密码
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    /// 须绑定的动态口令(运营人员与部门用户)
    #[serde(skip_serializing_if = "Option::is_none")]
    totp: Option<credo_app::accounts::TotpSetup>,
}

/// 信用主体账号所绑定主体的全部记录,含公众看不到的字段(包括本主体的证件号码)
#[derive(Serialize, ToSchema)]
pub struct OwnRecords {
    subject_id: i64,
    subject: PublicSubject,
    records: Vec<OwnRecord>,
}

/// 记录的最新版本(全部字段),及公众所见的公示状态
#[derive(Serialize, ToSchema)]
pub struct OwnRecord {
    id: i64,
    item: String,
    version: i64,
    department_name: String,
    department_uscc: String,
    /// 决定日期,形如 `[年, 年内第几天]`(与公开接口的 `YYYY-MM-DD` 不同)
    #[schema(value_type = Option<Vec<i64>>)]
    decided_on: Option<Value>,
    #[schema(format = DateTime)]
    received_at: String,
    #[schema(format = DateTime)]
    first_received_at: String,
    batch_id: i64,
    /// 记录的全部字段,键为目录项字段代码
    fields: BTreeMap<String, String>,
    subject_id: Option<i64>,
    publicity: PublicityView,
}

/// 谁因何查询了本主体(本主体自己的操作除外)
#[derive(Serialize, ToSchema)]
pub struct AccessLog {
    count: usize,
    events: Vec<Access>,
}

#[derive(Serialize, ToSchema)]
pub struct Access {
    at: String,
    department: Option<String>,
    action: String,
    purpose: Option<String>,
    result: String,
}

// ---------------------------------------------------------------------------------------------------------------
// Batches

/// 本部门报送的、尚未匹配到已知主体的记录
#[derive(Serialize, ToSchema)]
pub struct UnresolvedList {
    count: usize,
    records: Vec<UnresolvedRecord>,
}

#[derive(Serialize, ToSchema)]
pub struct UnresolvedRecord {
    record: PublicRecord,
    subject_name: String,
    subject_kind: SubjectKind,
}

// ---------------------------------------------------------------------------------------------------------------
// Audit

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    count: usize,
    events: Vec<AuditEvent>,
}

/// 审计事件(含其在哈希链中的位置)
#[derive(Serialize, ToSchema)]
pub struct AuditEvent {
    seq: i64,
    at: String,
    actor: String,
    role: String,
    department: Option<String>,
    /// 动作代码(`batch.submit`、`session.sign_in`……)
    action: String,
    target: Option<String>,
    purpose: Option<String>,
    /// `ok`、`denied: …`、`error: <状态码>`……
    result: String,
    client: Option<String>,
    prev_hash: String,
    hash: String,
}

/// 审计日志校验结果:完好(附计数),或第一个有问题的事件
#[derive(Serialize, ToSchema)]
pub struct AuditVerification {
    intact: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    archived: Option<i64>,
    /// 已与哈希链核对的签名检查点数
    #[serde(skip_serializing_if = "Option::is_none")]
    checkpoints: Option<usize>,
    /// 在锚定文件中核对无误的检查点数
    #[serde(skip_serializing_if = "Option::is_none")]
    anchored: Option<usize>,
    /// 最后一个锚定检查点之后的事件数
    #[serde(skip_serializing_if = "Option::is_none")]
    not_yet_anchored: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_bad_event: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

/// 联合奖惩核查回执:签名的回执、SM2 签名与平台公钥
#[derive(Serialize, ToSchema)]
pub struct CheckAnswer {
    /// 回执:`id`、场景、事由、核查部门、核查时间,及每个主体的结论、适用的记录与措施。签名覆盖其 JSON 字节
    #[schema(value_type = Object)]
    receipt: Value,
    /// SM2(SM3)签名,十六进制 DER:签名对象为回执所在批次的 SM3 默克尔树根的声明 `credo-batch:v1:{size}:{root}`(有
    /// `proof` 时);早期逐张签发的回执(无 `proof`)签名对象为回执的紧凑 JSON 字节
    signature: String,
    /// 平台的 SM2 公钥,PEM
    public_key: String,
    /// 包含证明:回执紧凑 JSON 的叶哈希 `SM3(0x00‖回执)` 沿 `path` 逐层(`SM3(0x01‖左‖右)`,RFC 9162 §2.1)算到
    /// `root`;`size` 为批次回执数,`index` 为本回执位置
    #[schema(value_type = Option<ReceiptProof>)]
    proof: Option<Value>,
}

/// 回执的批次包含证明(SM3 默克尔树,RFC 9162 §2.1)
#[derive(Serialize, ToSchema)]
pub struct ReceiptProof {
    /// `SM3-Merkle-RFC9162`
    scheme: String,
    /// 批次中的回执数
    size: u64,
    /// 本回执在批次中的位置(从 0 起)
    index: u64,
    /// 自叶向上的兄弟节点哈希,十六进制
    path: Vec<String>,
    /// 树根哈希,十六进制
    root: String,
}

/// 各场景的核查次数、命中与反馈(执行督办),及尚待反馈的命中结果
#[derive(Serialize, ToSchema)]
pub struct CheckStatsReport {
    stats: Vec<SceneStats>,
    pending: Vec<PendingFeedback>,
}

#[derive(Serialize, ToSchema)]
pub struct SceneStats {
    department: Option<String>,
    scene: String,
    scene_name: Option<String>,
    checks: i64,
    subjects: i64,
    /// 结论不是 `clear` 的结果(含未匹配)
    hits: i64,
    /// 已反馈的命中数
    feedback: i64,
    feedback_rate_percent: f64,
}

#[derive(Serialize, ToSchema)]
pub struct PendingFeedback {
    check_id: String,
    position: i64,
    subject_id: Option<i64>,
    decision: String,
    scene: String,
    checked_at: String,
}

/// 已开始的批量核查任务
#[derive(Serialize, ToSchema)]
pub struct JobStarted {
    job: String,
    total: usize,
    /// 查询进度的地址(`/api/v1/checks/jobs/{id}`)
    href: String,
}

// ---------------------------------------------------------------------------------------------------------------
// Cases (异议, 信用修复, 举报, 信用承诺)

/// 验证题:读图中算式,连同 `token` 提交答案
#[derive(Serialize, ToSchema)]
pub struct Challenge {
    /// `data:image/svg+xml;base64,…`
    image: String,
    token: String,
    valid_minutes: i64,
}
