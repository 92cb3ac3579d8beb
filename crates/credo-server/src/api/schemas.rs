//! What the API answers, described for OpenAPI ([`super::openapi`]). Most answers are built with `json!` from the
//! services' and the store's types, which know nothing of OpenAPI; the structs here say field by field what goes
//! out, and are never built. `tests/openapi.rs` holds them to the truth: every JSON answer the tests receive is
//! checked against the schema documented for it (an undocumented field, a missing one or a wrong type fails).
//!
//! Request bodies and query parameters are described where they are read (the handlers' own types), except for the
//! case service's (`credo_app::cases`), described here as well.
//!
//! The doc comments below are the document's descriptions, read by the departments' developers: Chinese, like the
//! rest of what users read.

#![expect(dead_code, reason = "schemas for the OpenAPI document: never built, only described")]

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// 信用主体类别
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// 法人及非法人组织
    Organisation,
    /// 个体工商户
    IndividualBusiness,
    /// 自然人
    Person,
}

/// 失信程度:决定失信记录的公示期限
#[derive(Serialize, ToSchema)]
pub enum Class {
    轻微,
    一般,
    严重,
}

/// 记录状态(按查询当日)
#[derive(Serialize, ToSchema)]
pub enum RecordState {
    公示中,
    异议处理中,
    已修复,
    已撤销,
    公示期满,
    不予公示,
}

/// 何时可以信用修复:履行义务后(`obligations`)、最短公示期满后(`after_min`),或不能通过平台修复(`none`)
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Repair {
    Obligations,
    AfterMin,
    None,
}

/// 目录项的信息性质
#[derive(Serialize, ToSchema)]
pub enum Nature {
    守信,
    失信,
    中性,
}

/// 目录项的公开属性
#[derive(Serialize, ToSchema)]
pub enum Disclosure {
    公开,
    政务共享,
    授权查询,
}

/// 目录项字段的类型
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Code,
    Date,
    /// 金额,单位万元
    Money,
    Year,
    Enum,
    Uscc,
    OrgCode,
    RegNo,
    IdNumber,
    Region,
}

// ---------------------------------------------------------------------------------------------------------------
// Subjects, records, the catalog (public)

/// 一站式查询结果:公众可知的信用主体,最相关者在前
#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    /// 查询词(其中的证件号码已遮蔽)
    query: String,
    count: usize,
    hits: Vec<SearchHit>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHit {
    /// 统一社会信用代码或其他登记代码;自然人的证件号码已遮蔽
    code: Option<String>,
    name: String,
    kind: SubjectKind,
    kind_label: String,
    region: Option<String>,
    region_name: Option<String>,
    score: f32,
    /// 主体公示信息的地址(`/api/v1/subjects/{key}`)
    href: String,
}

/// 公众所见的信用主体
#[derive(Serialize, ToSchema)]
pub struct PublicSubject {
    code: Option<String>,
    name: String,
    kind: SubjectKind,
    kind_label: String,
    region: Option<String>,
    region_name: Option<String>,
    /// 登记状态(存续、注销……)
    status: Option<String>,
}

/// 信用主体公示信息:正在公示的记录,按目录项分组
#[derive(Serialize, ToSchema)]
pub struct SubjectProfile {
    subject: PublicSubject,
    items: Vec<ItemGroup>,
}

#[derive(Serialize, ToSchema)]
pub struct ItemGroup {
    /// 目录项代码(`xzcf`……)
    item: String,
    item_name: String,
    count: usize,
    records: Vec<PublicRecord>,
}

/// 公众所见的信用记录:只含公开字段,证件号码已遮蔽,附公示状态
#[derive(Serialize, ToSchema)]
pub struct PublicRecord {
    id: i64,
    version: i64,
    item: String,
    item_name: String,
    /// 作出决定的部门
    department: String,
    department_uscc: String,
    #[schema(format = Date)]
    decided_on: Option<String>,
    #[schema(format = DateTime)]
    received_at: String,
    fields: Vec<PublicField>,
    publicity: Publicity,
}

#[derive(Serialize, ToSchema)]
pub struct PublicField {
    /// 目录项字段代码
    code: String,
    name: String,
    value: String,
}

/// 记录在查询当日的公示状态:失信程度、状态、公示期及说明
#[derive(Serialize, ToSchema)]
pub struct Publicity {
    class: Option<Class>,
    state: RecordState,
    explanation: String,
    #[schema(format = Date)]
    shown_from: Option<String>,
    #[schema(format = Date)]
    shown_until: Option<String>,
    #[schema(format = Date)]
    repairable_from: Option<String>,
    repair: Repair,
    /// 不能通过平台信用修复时的原因
    repair_note: Option<String>,
    regime: Option<String>,
    /// 今日是否仍作为联合惩戒的依据
    counts: bool,
    /// 所用规则尚未与正式文本核对时为 `false`
    verified: bool,
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

/// 部门:提供或使用信用信息的单位
#[derive(Serialize, ToSchema)]
pub struct Department {
    id: i64,
    uscc: String,
    name: String,
    region: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    /// 登记者(`cli:import`、`cli:dept add`……)
    created_by: String,
    permissions: Permissions,
}

/// 部门权限(最小权限:未授予即无)
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct Permissions {
    /// 可报送的目录项
    #[serde(default)]
    items: Vec<String>,
    /// 可使用的联合奖惩核查场景
    #[serde(default)]
    scenes: Vec<String>,
    /// 可读取的公开属性:公开、政务共享、授权查询
    #[serde(default)]
    disclosure: Vec<String>,
}

/// 已签发的部门 API 密钥(只保存其散列;密钥本身只在签发时显示一次)
#[derive(Serialize, ToSchema)]
pub struct ApiKey {
    id: i64,
    department_id: i64,
    /// 密钥的公开前缀,用于吊销
    prefix: String,
    /// 权限范围:`submit`、`check`
    scopes: Vec<String>,
    #[schema(format = DateTime)]
    expires_at: Option<String>,
    revoked: bool,
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
    publicity: Publicity,
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

/// 批次报告:合计与逐行问题
#[derive(Serialize, ToSchema)]
pub struct BatchSummary {
    batch: i64,
    /// 部门的统一社会信用代码
    department: String,
    item: String,
    rows: usize,
    accepted: usize,
    rejected: usize,
    duplicates: usize,
    /// 已入库但尚未匹配到已知主体的行(见 `/api/v1/unresolved`)
    unresolved: usize,
    report: Vec<ReportLine>,
    /// 处理批次的进程在完成前停止:合计为已提交的行
    interrupted: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ReportLine {
    /// 文件中的行号(表头为第 1 行)
    row: usize,
    column: String,
    code: String,
    message: String,
    /// `error`(该行被拒)或 `warning`(该行已接收)
    severity: String,
}

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
    /// 回执 JSON 的 SM2(SM3)签名,十六进制
    signature: String,
    /// 平台的 SM2 公钥,PEM
    public_key: String,
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

/// 公众所见的记录,及今日不能申请信用修复的原因
#[derive(Serialize, ToSchema)]
pub struct ShownRecord {
    record: PublicRecord,
    /// 今日申请信用修复会被拒绝的原因(`null`:可以申请)
    repair_refused: Option<String>,
}

/// 记录未履约后信用承诺记录的新版本
#[derive(Serialize, ToSchema)]
pub struct Breached {
    record: Option<PublicRecord>,
}

/// 公众可知的案件进度(凭编号查询):不含申请人与证明材料
#[derive(Serialize, ToSchema)]
pub struct Tracking {
    number: String,
    /// `objection`(异议)、`repair`(信用修复)、`report`(举报)
    kind: String,
    kind_label: String,
    state: String,
    filed_at: String,
    #[schema(format = Date)]
    due_on: Option<String>,
    /// 期限所在年份的节假日尚未公布,按暂定日历计算
    due_note: Option<String>,
    closed_at: Option<String>,
    overdue: bool,
    outcome: Option<String>,
    /// 部门的答复
    reply: Option<String>,
    steps: Vec<TrackedStep>,
}

#[derive(Serialize, ToSchema)]
pub struct TrackedStep {
    at: String,
    step: String,
}

/// 案件办理员、信用审核员或申请人所见的案件
#[derive(Serialize, ToSchema)]
pub struct CaseDetail {
    number: String,
    kind: String,
    kind_label: String,
    state: String,
    filed_at: String,
    #[schema(format = Date)]
    due_on: Option<String>,
    due_note: Option<String>,
    closed_at: Option<String>,
    overdue: bool,
    outcome: Option<String>,
    reply: Option<String>,
    record_id: Option<i64>,
    subject_id: Option<i64>,
    extended_days: i64,
    /// 申请内容(信用审核员只看到部分字段,且已遮蔽)
    #[schema(value_type = Object)]
    content: Value,
    files: Vec<FileView>,
    steps: Vec<StepView>,
    /// 申请人及其联系方式:仅本部门案件办理员可见
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    applicant: Option<Value>,
    /// 案件所涉记录(公众所见;案件办理员与信用审核员)
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<PublicRecord>,
}

/// 证明材料:只有可查看者看到文件名
#[derive(Serialize, ToSchema)]
pub struct FileView {
    n: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// 文件的 SM3 摘要,十六进制
    sm3: String,
    size: i64,
}

#[derive(Serialize, ToSchema)]
pub struct StepView {
    at: String,
    actor: String,
    step: String,
    note: Option<String>,
}

/// 案件:办理人员与申请人看到完整案件,其他知道编号的人只看到进度
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum CaseView {
    Detail(Box<CaseDetail>),
    Tracking(Box<Tracking>),
}

#[derive(Serialize, ToSchema)]
pub struct CaseList {
    count: usize,
    /// 其中逾期的案件数
    overdue: usize,
    cases: Vec<CaseDetail>,
}

/// 信用主体账号提交的案件
#[derive(Serialize, ToSchema)]
pub struct OwnCases {
    count: usize,
    cases: Vec<CaseDetail>,
}

/// 申请人所见的信用修复申请,及其生成的信用修复型承诺记录
#[derive(Serialize, ToSchema)]
pub struct RepairFiled {
    #[serde(flatten)]
    case: CaseDetail,
    commitment_record: Option<i64>,
}

/// 已作出的信用承诺:记录编号、承诺编号与承诺所向的部门
#[derive(Serialize, ToSchema)]
pub struct Committed {
    record_id: i64,
    number: String,
    department: String,
}

/// 证明材料(内联,Base64)
#[derive(serde::Deserialize, ToSchema)]
pub struct FileIn {
    name: String,
    content_base64: String,
}

/// 联系人:姓名与电话
#[derive(serde::Deserialize, ToSchema)]
pub struct Contact {
    name: String,
    phone: String,
}

/// 验证题答案(题目来自 `GET /api/v1/challenge`)
#[derive(serde::Deserialize, ToSchema)]
pub struct ChallengeAnswer {
    token: String,
    answer: String,
}

/// 异议申请:对公示中的记录提出异议
#[derive(serde::Deserialize, ToSchema)]
pub struct ObjectionIn {
    record: i64,
    reason: String,
    /// 未以该主体账号登录时必填
    contact: Option<Contact>,
    #[serde(default)]
    files: Vec<FileIn>,
    /// 未登录时必填
    #[serde(default)]
    challenge: Option<ChallengeAnswer>,
}

/// 信用修复申请(信用主体账号,针对本主体的记录)
#[derive(serde::Deserialize, ToSchema)]
pub struct RepairIn {
    record: i64,
    reason: String,
    #[serde(default)]
    files: Vec<FileIn>,
}

/// 举报.
#[derive(serde::Deserialize, ToSchema)]
pub struct ReportIn {
    /// 负责的部门(统一社会信用代码)
    department: String,
    subject_name: String,
    subject_code: Option<String>,
    content: String,
    reporter: Option<Contact>,
    #[serde(default)]
    files: Vec<FileIn>,
    /// 未登录时必填
    #[serde(default)]
    challenge: Option<ChallengeAnswer>,
}

/// 异议延期(一次)
#[derive(serde::Deserialize, ToSchema)]
pub struct ExtendIn {
    /// 工作日数
    days: u32,
    reason: String,
}

/// 案件的下一步
#[derive(serde::Deserialize, ToSchema)]
pub struct DecideIn {
    /// 办理结果(填错时,错误信息列出当前状态允许的结果)
    outcome: String,
    reason: String,
    /// 更正:更正后的字段(目录项字段代码),合并到记录上
    #[serde(default)]
    fields: BTreeMap<String, String>,
    /// 举报:给予的奖励(如有)
    reward: Option<String>,
}

/// 作出信用承诺.
#[derive(serde::Deserialize, ToSchema)]
pub struct CommitIn {
    /// 承诺所向的部门(统一社会信用代码)
    department: String,
    /// 承诺类型: 审批替代型, 证明事项告知承诺, 主动型, 行业自律型.
    #[serde(rename = "type")]
    kind: String,
    matter: String,
    content: String,
}

/// 记录信用承诺未履约
#[derive(serde::Deserialize, ToSchema)]
pub struct BreachIn {
    /// `YYYY-MM-DD`(默认今日)
    date: Option<String>,
    description: String,
}
