//! # credo-synth
//!
//! A deterministic, realistic dataset for Xining: subjects spread over the districts and counties with valid
//! codes and plausible names, their registration data, licences, penalties, lists, red lists, commitments and tax
//! grades, as the city's departments would submit them. The same seed always gives the same data, so the demo,
//! the tests and the benchmarks agree. Nothing here names a real company or person.
//!
//! [`builders`] makes single records for tests, one builder per catalog item, with fixed default values.

pub mod builders;
pub mod search_eval;

use credo_domain::ids::{USCC_ALPHABET, org_code_check, ric_check, uscc_check};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration};

/// A department of the city that submits data.
#[derive(Debug, Clone)]
pub struct Dept {
    pub uscc: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Organisation,
    IndividualBusiness,
    Person,
}

#[derive(Debug, Clone)]
pub struct Subject {
    pub kind: Kind,
    pub name: String,
    /// USCC, or the ID number of a person.
    pub code: String,
    pub region: String,
    pub legal_rep: String,
    pub founded: Date,
}

/// Rows of one catalog item from one department, with catalog field codes as headers.
#[derive(Debug, Clone)]
pub struct Batch {
    pub item: &'static str,
    pub dept: Dept,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

const DISTRICTS: [(&str, &str); 7] = [
    ("630102", "城东区"),
    ("630103", "城中区"),
    ("630104", "城西区"),
    ("630105", "城北区"),
    ("630106", "湟中区"),
    ("630121", "大通回族土族自治县"),
    ("630123", "湟源县"),
];
const BRANDS: [&str; 40] = [
    "鑫源",
    "昆仑",
    "高原",
    "青藏",
    "湟水",
    "三江",
    "雪域",
    "夏都",
    "金河",
    "宏达",
    "瑞丰",
    "恒通",
    "天佑",
    "祥和",
    "华泰",
    "德隆",
    "汇鑫",
    "康宁",
    "明珠",
    "盛世",
    "福瑞",
    "兴业",
    "聚源",
    "嘉禾",
    "博远",
    "正和",
    "安泰",
    "永盛",
    "中天",
    "润泽",
    "卓越",
    "天成",
    "锦程",
    "丰泽",
    "宏图",
    "通达",
    "佳和",
    "柴达木",
    "塔尔",
    "南山",
];
/// Characters that make up brand names (字号) beyond the common ones above.
const BRAND_CHARS: [&str; 48] = [
    "鑫", "源", "恒", "泰", "华", "盛", "隆", "昌", "兴", "旺", "达", "丰", "瑞", "祥", "福", "安", "康", "宁", "青",
    "海", "雪", "峰", "河", "湟", "金", "银", "宝", "利", "嘉", "和", "德", "信", "诚", "润", "博", "远", "新", "宇",
    "辰", "星", "鼎", "卓", "汇", "通", "益", "顺", "高", "原",
];
const TRADES: [&str; 24] = [
    "商贸",
    "建材",
    "餐饮管理",
    "物流",
    "建筑工程",
    "房地产开发",
    "农牧业",
    "生物科技",
    "信息技术",
    "文化传媒",
    "旅游开发",
    "医药",
    "食品",
    "汽车销售",
    "物业管理",
    "环保科技",
    "装饰工程",
    "劳务",
    "乳业",
    "新能源",
    "矿业",
    "酒店管理",
    "教育咨询",
    "电子商务",
];
const FORMS: [&str; 4] = ["有限公司", "有限责任公司", "股份有限公司", "有限公司"];
const SHOPS: [&str; 10] =
    ["牛肉面馆", "便利店", "手抓羊肉馆", "五金店", "理发店", "干洗店", "酿皮店", "副食店", "修车铺", "茶餐厅"];
const SURNAMES: [&str; 24] = [
    "马", "李", "王", "张", "刘", "陈", "杨", "赵", "韩", "冶", "祁", "鲁", "苏", "何", "朱", "胡", "郭", "罗", "沈",
    "孙", "周", "吴", "徐", "宋",
];
const GIVEN: [&str; 20] = [
    "建国", "文明", "海燕", "永福", "玉兰", "志刚", "秀英", "德才", "明", "勇", "丽", "霞", "强", "军", "芳", "伟",
    "静", "磊", "燕", "斌",
];

/// Departments of the city government, with synthetic codes.
pub fn departments() -> Vec<Dept> {
    let names = [
        "西宁市市场监督管理局",
        "国家税务总局西宁市税务局",
        "西宁市生态环境局",
        "西宁市住房和城乡建设局",
        "西宁市交通运输局",
        "西宁市卫生健康委员会",
        "西宁市应急管理局",
        "西宁市城市管理局",
        "西宁市中级人民法院",
        "西宁市人力资源和社会保障局",
        "西宁市发展和改革委员会",
        "西宁市城东区市场监督管理局",
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let region = if name.contains("城东区") { "630102" } else { "630100" };
            let body = format!("MB{:06}", 174000 + i * 7);
            Dept { uscc: uscc_from("11", region, &body), name: name.to_string() }
        })
        .collect()
}

/// Builds a valid USCC from department/category, region and an 8-character organisation-code body.
pub fn uscc_from(prefix: &str, region: &str, body8: &str) -> String {
    let check = org_code_check(body8.as_bytes()).unwrap_or('0');
    let first17 = format!("{prefix}{region}{body8}{check}");
    let c = uscc_check(first17.as_bytes()).unwrap_or('0');
    format!("{first17}{c}")
}

fn ric(rng: &mut ChaCha8Rng, region: &str) -> String {
    let born = Date::from_calendar_date(1950, time::Month::January, 1).unwrap_or(Date::MIN)
        + Duration::days(rng.random_range(0..(52 * 365)));
    let first17 = format!(
        "{region}{:04}{:02}{:02}{:03}",
        born.year(),
        u8::from(born.month()),
        born.day(),
        rng.random_range(1..999)
    );
    let c = ric_check(first17.as_bytes()).unwrap_or('0');
    format!("{first17}{c}")
}

fn person_name(rng: &mut ChaCha8Rng) -> String {
    format!("{}{}", SURNAMES.choose(rng).unwrap_or(&"马"), GIVEN.choose(rng).unwrap_or(&"明"))
}

fn org_body(rng: &mut ChaCha8Rng, n: usize) -> String {
    // "MA" + 6 characters: the post-2015 style; all characters from the USCC alphabet.
    let mut s = String::from("MA");
    let mut x = n as u64 * 7919 + rng.random_range(0..7919);
    for _ in 0..6 {
        s.push(char::from(USCC_ALPHABET[(x % 31) as usize]));
        x /= 31;
    }
    s
}

pub struct Synth {
    rng: ChaCha8Rng,
    pub today: Date,
    pub subjects: Vec<Subject>,
    pub depts: Vec<Dept>,
}

impl Synth {
    /// `n` subjects, generated from `seed`, dated up to `today`.
    pub fn new(seed: u64, n: usize, today: Date) -> Synth {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut subjects = Vec::with_capacity(n);
        let mut seen = std::collections::HashSet::new();
        let mut i = 0usize;
        while subjects.len() < n {
            i += 1;
            let (region, district) = *DISTRICTS.choose(&mut rng).unwrap_or(&DISTRICTS[0]);
            let roll: f64 = rng.random();
            let founded = today - Duration::days(rng.random_range(30..(25 * 365)));
            let legal_rep = person_name(&mut rng);
            let s = if roll < 0.72 {
                let mut brand = if rng.random_bool(0.3) {
                    BRANDS.choose(&mut rng).unwrap_or(&BRANDS[0]).to_string()
                } else {
                    let a = BRAND_CHARS.choose(&mut rng).unwrap_or(&"鑫");
                    let b = BRAND_CHARS.choose(&mut rng).unwrap_or(&"源");
                    format!("{a}{b}")
                };
                let trade = TRADES.choose(&mut rng).unwrap_or(&TRADES[0]);
                let form = FORMS.choose(&mut rng).unwrap_or(&FORMS[0]);
                let place = match rng.random_range(0..4) {
                    0 => "青海".to_string(),
                    1 => "西宁".to_string(),
                    2 => format!("西宁市{district}"),
                    _ => "青海省".to_string(),
                };
                let mut name = format!("{place}{brand}{trade}{form}");
                // A name already taken gets a longer 字号, as a registrar would ask for (a store of millions of
                // subjects runs out of two-character ones).
                while seen.contains(&name) {
                    brand.push_str(BRAND_CHARS.choose(&mut rng).unwrap_or(&"鑫"));
                    name = format!("{place}{brand}{trade}{form}");
                }
                let code = uscc_from("91", region, &org_body(&mut rng, i));
                Subject { kind: Kind::Organisation, name, code, region: region.into(), legal_rep, founded }
            } else if roll < 0.95 {
                let shop = SHOPS.choose(&mut rng).unwrap_or(&SHOPS[0]);
                let surname = legal_rep.chars().next().unwrap_or('马');
                let mut mark = BRAND_CHARS.choose(&mut rng).unwrap_or(&"鑫").to_string();
                let mut name = format!("{district}{surname}{mark}记{shop}");
                while seen.contains(&name) {
                    mark.push_str(BRAND_CHARS.choose(&mut rng).unwrap_or(&"鑫"));
                    name = format!("{district}{surname}{mark}记{shop}");
                }
                let code = uscc_from("92", region, &org_body(&mut rng, i));
                Subject { kind: Kind::IndividualBusiness, name, code, region: region.into(), legal_rep, founded }
            } else {
                let code = ric(&mut rng, region);
                // People share names; the demo keeps each unique (names resolve records that carry no code), so
                // a taken one gets a longer given name.
                let mut name = legal_rep;
                while seen.contains(&name) {
                    name.push_str(GIVEN.choose(&mut rng).unwrap_or(&"明"));
                }
                Subject {
                    kind: Kind::Person,
                    name: name.clone(),
                    code,
                    region: region.into(),
                    legal_rep: name,
                    founded,
                }
            };
            if seen.insert(s.code.clone()) {
                seen.insert(s.name.clone());
                subjects.push(s);
            }
        }
        Synth { rng, today, subjects, depts: departments() }
    }

    fn date_between(&mut self, from: Date, to: Date) -> Date {
        let span = (to - from).whole_days().max(1);
        from + Duration::days(self.rng.random_range(0..span))
    }

    fn kind_label(k: Kind) -> &'static str {
        match k {
            Kind::Organisation => "法人及非法人组织",
            Kind::IndividualBusiness => "个体工商户",
            Kind::Person => "自然人",
        }
    }

    /// Registration data (djzc) from the market regulator for the organisations and individual businesses `part` of
    /// [`Synth::registrants`].
    pub fn registrations(&mut self, part: std::ops::Range<usize>) -> Batch {
        let dept = self.depts[0].clone();
        let headers = vec![
            "DJ_MC",
            "DJ_SHXYM",
            "DJ_ZTLB",
            "DJ_QYLX",
            "DJ_FDDBR",
            "DJ_ZCZB",
            "DJ_CLRQ",
            "DJ_DJJG",
            "DJ_HZRQ",
            "DJ_ZS",
            "DJ_JYFW",
            "DJ_XZQH",
            "DJ_DJZT",
            "DJ_SJLY",
            "DJ_SJLYDM",
        ];
        let mut rows = Vec::new();
        for k in self.registrants().skip(part.start).take(part.len()).collect::<Vec<_>>() {
            let s = self.subjects[k].clone();
            let ib = s.kind == Kind::IndividualBusiness;
            let capital = if ib { String::new() } else { format!("{}", self.rng.random_range(1..5000) * 10) };
            let status = if self.rng.random_bool(0.93) { "存续" } else { "注销" };
            let district = DISTRICTS.iter().find(|d| d.0 == s.region).map(|d| d.1).unwrap_or("城中区");
            rows.push(vec![
                s.name.clone(),
                s.code.clone(),
                Self::kind_label(s.kind).into(),
                if ib { "个体工商户".into() } else { "有限责任公司(自然人投资或控股)".into() },
                s.legal_rep.clone(),
                capital,
                s.founded.to_string(),
                format!("西宁市{district}市场监督管理局"),
                s.founded.to_string(),
                format!(
                    "青海省西宁市{district}{}路{}号",
                    BRANDS.choose(&mut self.rng).unwrap_or(&"昆仑"),
                    self.rng.random_range(1..300)
                ),
                if ib {
                    "餐饮服务;日用百货零售".into()
                } else {
                    "一般项目:销售;技术服务;货物进出口".into()
                },
                s.region.clone(),
                status.into(),
                dept.name.clone(),
                dept.uscc.clone(),
            ]);
        }
        Batch { item: "djzc", dept, headers, rows }
    }

    /// 行政处罚 rows (`n` of them) from a mix of departments; about 1 in 40 names a person.
    pub fn penalties(&mut self, n: usize) -> Vec<Batch> {
        let headers = vec![
            "CF_XDR_MC",
            "CF_XDR_LB",
            "CF_XDR_SHXYM",
            "CF_FRDB",
            "CF_XDR_ZJLX",
            "CF_XDR_ZJHM",
            "CF_WSH",
            "CF_WFXW",
            "CF_SY",
            "CF_YJ",
            "CF_CFLB",
            "CF_NR",
            "CF_NR_FK",
            "CF_NR_WFFF",
            "CF_NR_ZKDX",
            "CF_JDRQ",
            "CF_GSRQ",
            "CF_CXLX",
            "CF_YXQ",
            "CF_CFJG",
            "CF_CFJGDM",
            "CF_SJLY",
            "CF_SJLYDM",
        ];
        let cases: [(&str, &str, &str); 6] = [
            ("销售不合格产品", "《中华人民共和国产品质量法》第四十九条", "警告;罚款"),
            ("未按规定办理排污许可", "《中华人民共和国环境保护法》第六十三条", "罚款"),
            ("未取得食品经营许可从事食品经营", "《中华人民共和国食品安全法》第一百二十二条", "没收违法所得;罚款"),
            ("安全生产隐患未整改", "《中华人民共和国安全生产法》第一百零二条", "责令停产停业;罚款"),
            ("超限运输", "《公路安全保护条例》第六十四条", "罚款"),
            ("违规占道经营", "《西宁市市容环境卫生管理条例》", "警告"),
        ];
        let depts: Vec<Dept> = [0usize, 2, 4, 6, 7].iter().map(|&i| self.depts[i].clone()).collect();
        let mut by_dept: Vec<Vec<Vec<String>>> = vec![Vec::new(); depts.len()];
        let from = self.today - Duration::days(5 * 365);
        for k in 0..n {
            let di = k % depts.len();
            let d = &depts[di];
            let s = self.subjects[self.rng.random_range(0..self.subjects.len())].clone();
            let (wf, yj, lb) = cases[self.rng.random_range(0..cases.len())];
            let decided = self.date_between(from.max(s.founded), self.today);
            let fine = format!("{}", self.rng.random_range(1..2000) as f64 / 100.0);
            let person = s.kind == Kind::Person;
            let short: String = d.name.chars().skip(3).take(2).collect();
            let row = vec![
                s.name.clone(),
                Self::kind_label(s.kind).into(),
                if person { String::new() } else { s.code.clone() },
                if person { String::new() } else { s.legal_rep.clone() },
                if person { "身份证".into() } else { String::new() },
                if person { s.code.clone() } else { String::new() },
                format!("宁{short}罚〔{}〕{}号", decided.year(), k + 1),
                wf.into(),
                format!("经查,当事人{}存在{}的违法行为。", s.name, wf),
                yj.into(),
                lb.into(),
                format!("{}处罚", lb.replace(';', "并")),
                if lb.contains("罚款") { fine } else { String::new() },
                if lb.contains("没收") {
                    format!("{}", self.rng.random_range(1..500) as f64 / 100.0)
                } else {
                    String::new()
                },
                String::new(),
                decided.to_string(),
                // Published within 20 working days of the decision (总局令第45号 第九条), never after today.
                (decided + Duration::days(self.rng.random_range(1..20))).min(self.today).to_string(),
                "普通程序".into(),
                if lb.contains("停产") { (decided + Duration::days(90)).to_string() } else { "2099-12-31".into() },
                d.name.clone(),
                d.uscc.clone(),
                d.name.clone(),
                d.uscc.clone(),
            ];
            by_dept[di].push(row);
        }
        depts
            .into_iter()
            .zip(by_dept)
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(dept, rows)| Batch { item: "xzcf", dept, headers: headers.clone(), rows })
            .collect()
    }

    /// 行政许可 rows for about half of the organisations and businesses `part` of [`Synth::registrants`].
    pub fn licences(&mut self, part: std::ops::Range<usize>) -> Batch {
        let dept = self.depts[0].clone();
        let headers = vec![
            "XK_XDR_MC",
            "XK_XDR_LB",
            "XK_XDR_SHXYM",
            "XK_FRDB",
            "XK_XKWS",
            "XK_WSH",
            "XK_XKLB",
            "XK_XKZS",
            "XK_XKBH",
            "XK_NR",
            "XK_JDRQ",
            "XK_YXQZ",
            "XK_YXQZI",
            "XK_XKJG",
            "XK_XKJGDM",
            "XK_ZT",
            "XK_LYDW",
            "XK_LYDWDM",
        ];
        let kinds = [
            ("食品经营许可证", "食品经营"),
            ("排污许可证", "排放污染物"),
            ("建筑施工许可证", "建筑工程施工"),
            ("道路运输经营许可证", "道路普通货物运输"),
        ];
        let mut rows = Vec::new();
        let picked: Vec<(usize, usize)> =
            self.registrants().enumerate().skip(part.start).take(part.len()).filter(|(i, _)| i % 2 == 0).collect();
        for (i, k) in picked {
            let s = self.subjects[k].clone();
            let (zs, nr) = kinds[i % kinds.len()];
            let decided = self.date_between(s.founded, self.today);
            rows.push(vec![
                s.name.clone(),
                Self::kind_label(s.kind).into(),
                s.code.clone(),
                s.legal_rep.clone(),
                format!("{zs}准予许可决定书"),
                format!("JY{}{:08}", &s.region, i),
                "普通".into(),
                zs.into(),
                format!("JY{}{:08}", &s.region, i),
                nr.into(),
                decided.to_string(),
                decided.to_string(),
                (decided + Duration::days(5 * 365)).to_string(),
                dept.name.clone(),
                dept.uscc.clone(),
                "有效".into(),
                dept.name.clone(),
                dept.uscc.clone(),
            ]);
        }
        Batch { item: "xzxk", dept, headers, rows }
    }

    /// Lists: 经营异常名录, 严重失信主体名单, 失信被执行人, 限制消费令, 重大税收违法失信主体, red lists, commitments and
    /// tax grades.
    pub fn lists(&mut self) -> Vec<Batch> {
        let n = self.subjects.len();
        let orgs: Vec<Subject> = self.subjects.iter().filter(|s| s.kind == Kind::Organisation).cloned().collect();
        let mut out = Vec::new();
        let (smr, tax, court, dev) =
            (self.depts[0].clone(), self.depts[1].clone(), self.depts[8].clone(), self.depts[10].clone());

        let mut rows = Vec::new();
        for (i, s) in orgs.iter().enumerate().filter(|(i, _)| i % 33 == 5) {
            let d = self.date_between(self.today - Duration::days(3 * 365), self.today);
            rows.push(vec![
                s.name.clone(),
                s.code.clone(),
                s.legal_rep.clone(),
                "未按规定公示年度报告".into(),
                format!("宁市监异〔{}〕{}号", d.year(), i),
                d.to_string(),
                smr.name.clone(),
                smr.uscc.clone(),
                smr.name.clone(),
                smr.uscc.clone(),
            ]);
        }
        out.push(Batch {
            item: "jyyc",
            dept: smr.clone(),
            headers: vec![
                "YC_QYMC",
                "YC_SHXYM",
                "YC_FDDBR",
                "YC_LRYY",
                "YC_LRWSH",
                "YC_LRRQ",
                "YC_ZCJG",
                "YC_ZCJGDM",
                "YC_SJLY",
                "YC_SJLYDM",
            ],
            rows,
        });

        let mut rows = Vec::new();
        for (i, s) in orgs.iter().enumerate().filter(|(i, _)| i % 199 == 7) {
            let d = self.date_between(self.today - Duration::days(3 * 365), self.today);
            rows.push(vec![
                s.name.clone(),
                "法人及非法人组织".into(),
                s.code.clone(),
                s.legal_rep.clone(),
                "市场监督管理严重违法失信名单".into(),
                "因同一性质违法行为受到三次以上行政处罚".into(),
                "《市场监督管理严重违法失信名单管理办法》第二条".into(),
                format!("宁市监严〔{}〕{}号", d.year(), i),
                d.to_string(),
                smr.name.clone(),
                smr.uscc.clone(),
                smr.name.clone(),
                smr.uscc.clone(),
            ]);
        }
        out.push(Batch {
            item: "yzsx",
            dept: smr.clone(),
            headers: vec![
                "YZ_MC",
                "YZ_ZTLB",
                "YZ_SHXYM",
                "YZ_FDDBR",
                "YZ_MDLX",
                "YZ_LRYY",
                "YZ_LRYJ",
                "YZ_LRWSH",
                "YZ_LRRQ",
                "YZ_RDJG",
                "YZ_RDJGDM",
                "YZ_SJLY",
                "YZ_SJLYDM",
            ],
            rows,
        });

        let mut rows = Vec::new();
        for i in (3..n).step_by(97) {
            let s = self.subjects[i].clone();
            let person = s.kind == Kind::Person;
            let filed = self.date_between(self.today - Duration::days(4 * 365), self.today - Duration::days(60));
            let published = filed + Duration::days(45);
            rows.push(vec![
                s.name.clone(),
                Self::kind_label(s.kind).into(),
                if person { String::new() } else { s.code.clone() },
                if person { "身份证".into() } else { String::new() },
                if person { s.code.clone() } else { String::new() },
                if person { String::new() } else { s.legal_rep.clone() },
                format!("({}）青01执{}号", filed.year(), i),
                "西宁市中级人民法院".into(),
                format!("({}）青01民初{}号", filed.year() - 1, i),
                "西宁市中级人民法院".into(),
                format!("支付货款{}元及利息", self.rng.random_range(10..500) * 1000),
                "全部未履行".into(),
                "有履行能力而拒不履行生效法律文书确定义务".into(),
                filed.to_string(),
                published.min(self.today).to_string(),
                court.name.clone(),
                court.uscc.clone(),
            ]);
        }
        out.push(Batch {
            item: "sxbzxr",
            dept: court.clone(),
            headers: vec![
                "ZX_MC",
                "ZX_ZTLB",
                "ZX_SHXYM",
                "ZX_ZJLX",
                "ZX_ZJHM",
                "ZX_FDDBR",
                "ZX_AH",
                "ZX_ZXFY",
                "ZX_ZXYJWH",
                "ZX_ZCZXYJDW",
                "ZX_YW",
                "ZX_LXQK",
                "ZX_SXQX",
                "ZX_LARQ",
                "ZX_FBRQ",
                "ZX_SJLY",
                "ZX_SJLYDM",
            ],
            rows,
        });

        // 限制消费令 against units: the legal representative with a number of their own, and a person the platform
        // knows as 实际控制人, so that a check of that person by ID number reaches the order.
        let people: Vec<Subject> = self.subjects.iter().filter(|s| s.kind == Kind::Person).cloned().collect();
        let mut rows = Vec::new();
        for (i, s) in orgs.iter().enumerate().filter(|(i, _)| i % 151 == 13) {
            let d = self.date_between(self.today - Duration::days(2 * 365), self.today);
            let controller = people.get(i % people.len().max(1));
            rows.push(vec![
                s.name.clone(),
                "法人及非法人组织".into(),
                s.code.clone(),
                s.legal_rep.clone(),
                "身份证".into(),
                ric(&mut self.rng, &s.region),
                controller.map(|p| p.name.clone()).unwrap_or_default(),
                controller.map(|p| p.code.clone()).unwrap_or_default(),
                format!("({}）青01执{}号", d.year(), 5000 + i),
                "西宁市中级人民法院".into(),
                d.to_string(),
                court.name.clone(),
                court.uscc.clone(),
            ]);
        }
        out.push(Batch {
            item: "xzxf",
            dept: court.clone(),
            headers: vec![
                "XF_MC",
                "XF_ZTLB",
                "XF_SHXYM",
                "XF_FDDBR",
                "XF_FDDBR_ZJLX",
                "XF_FDDBR_ZJHM",
                "XF_SJKZR",
                "XF_SJKZR_ZJHM",
                "XF_AH",
                "XF_ZXFY",
                "XF_FBRQ",
                "XF_SJLY",
                "XF_SJLYDM",
            ],
            rows,
        });

        // 重大税收违法失信主体, published by the tax bureau.
        let mut rows = Vec::new();
        for (i, s) in orgs.iter().enumerate().filter(|(i, _)| i % 211 == 17) {
            let d = self.date_between(self.today - Duration::days(4 * 365), self.today);
            rows.push(vec![
                s.name.clone(),
                "法人及非法人组织".into(),
                s.code.clone(),
                s.legal_rep.clone(),
                "虚开增值税专用发票".into(),
                "依法追缴税款、加收滞纳金并处罚款".into(),
                format!("宁税稽失〔{}〕{}号", d.year(), i),
                d.to_string(),
                tax.name.clone(),
                tax.uscc.clone(),
                tax.name.clone(),
                tax.uscc.clone(),
            ]);
        }
        out.push(Batch {
            item: "zdss",
            dept: tax.clone(),
            headers: vec![
                "SS_MC",
                "SS_ZTLB",
                "SS_SHXYM",
                "SS_FDDBR",
                "SS_WFSS",
                "SS_CLQK",
                "SS_QDWSH",
                "SS_GBRQ",
                "SS_SWJG",
                "SS_SWJGDM",
                "SS_SJLY",
                "SS_SJLYDM",
            ],
            rows,
        });

        let mut rows = Vec::new();
        for (i, s) in orgs.iter().enumerate().filter(|(i, _)| i % 41 == 11) {
            let d = self.date_between(self.today - Duration::days(2 * 365), self.today);
            rows.push(vec![
                s.name.clone(),
                "法人及非法人组织".into(),
                s.code.clone(),
                "守合同重信用企业".into(),
                "《青海省守合同重信用企业公示办法》".into(),
                format!("宁发改信〔{}〕{}号", d.year(), i),
                d.to_string(),
                (d + Duration::days(2 * 365)).to_string(),
                dev.name.clone(),
                dev.uscc.clone(),
                dev.name.clone(),
                dev.uscc.clone(),
            ]);
        }
        out.push(Batch {
            item: "sxjl",
            dept: dev.clone(),
            headers: vec![
                "HM_MC",
                "HM_ZTLB",
                "HM_SHXYM",
                "HM_MDMC",
                "HM_RDYJ",
                "HM_RDWH",
                "HM_RDRQ",
                "HM_YXQZ",
                "HM_RDJG",
                "HM_RDJGDM",
                "HM_SJLY",
                "HM_SJLYDM",
            ],
            rows,
        });

        let mut rows = Vec::new();
        for (i, s) in orgs.iter().enumerate().filter(|(i, _)| i % 17 == 3) {
            let d = self.date_between(self.today - Duration::days(2 * 365), self.today);
            rows.push(vec![
                s.name.clone(),
                "法人及非法人组织".into(),
                s.code.clone(),
                "审批替代型".into(),
                "食品经营许可告知承诺".into(),
                "本单位承诺所提交材料真实有效,如有虚假愿承担相应法律责任".into(),
                format!("CN{}{:07}", d.year(), i),
                d.to_string(),
                smr.name.clone(),
                smr.uscc.clone(),
                "履约中".into(),
                smr.name.clone(),
                smr.uscc.clone(),
            ]);
        }
        out.push(Batch {
            item: "xycn",
            dept: smr.clone(),
            headers: vec![
                "CN_MC",
                "CN_ZTLB",
                "CN_SHXYM",
                "CN_CNLX",
                "CN_CNSX",
                "CN_CNNR",
                "CN_CNBH",
                "CN_CNRQ",
                "CN_SLDW",
                "CN_SLDWDM",
                "CN_LYZT",
                "CN_SJLY",
                "CN_SJLYDM",
            ],
            rows,
        });

        let mut rows = Vec::new();
        let year = self.today.year() - 1;
        for (i, s) in orgs.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
            let grade = ["A", "B", "B", "B", "M", "C", "D"][i % 7];
            let d = Date::from_calendar_date(self.today.year(), time::Month::April, 20)
                .unwrap_or(self.today)
                .min(self.today);
            rows.push(vec![
                s.name.clone(),
                s.code.clone(),
                year.to_string(),
                grade.into(),
                d.to_string(),
                tax.name.clone(),
                tax.name.clone(),
                tax.uscc.clone(),
            ]);
        }
        out.push(Batch {
            item: "nsxy",
            dept: tax.clone(),
            headers: vec!["NS_MC", "NS_SHXYM", "NS_PJND", "NS_XYJB", "NS_PJRQ", "NS_PJJG", "NS_SJLY", "NS_SJLYDM"],
            rows,
        });

        // Sector grades beside the tax grade: 企业环境信用评价 (every 7th organisation) and 交通运输信用评价 (every
        // 11th), from their departments, for last year.
        let day =
            Date::from_calendar_date(self.today.year(), time::Month::May, 15).unwrap_or(self.today).min(self.today);
        for (item, dept, step, levels, headers) in [
            (
                "hjxy",
                self.depts[2].clone(),
                7,
                &["绿牌", "蓝牌", "蓝牌", "蓝牌", "黄牌", "红牌"][..],
                vec!["HJ_MC", "HJ_SHXYM", "HJ_PJND", "HJ_XYDJ", "HJ_PJRQ", "HJ_PJJG", "HJ_SJLY", "HJ_SJLYDM"],
            ),
            (
                "jtxy",
                self.depts[4].clone(),
                11,
                &["AA", "A", "A", "B", "B", "C", "D"][..],
                vec![
                    "JT_MC",
                    "JT_SHXYM",
                    "JT_PJND",
                    "JT_XYDJ",
                    "JT_PJRQ",
                    "JT_PJJG",
                    "JT_SJLY",
                    "JT_SJLYDM",
                    "JT_PJLB",
                ],
            ),
        ] {
            let mut rows = Vec::new();
            for (i, s) in orgs.iter().enumerate().filter(|(i, _)| i % step == 1) {
                let mut row = vec![
                    s.name.clone(),
                    s.code.clone(),
                    year.to_string(),
                    levels[(i / step) % levels.len()].into(),
                    day.to_string(),
                    dept.name.clone(),
                    dept.name.clone(),
                    dept.uscc.clone(),
                ];
                if item == "jtxy" {
                    row.push("道路运输企业质量信誉考核".into());
                }
                rows.push(row);
            }
            out.push(Batch { item, dept, headers, rows });
        }
        out
    }

    /// The whole demo dataset: registrations first (they name the subjects), then licences, penalties, lists.
    /// The indexes in `subjects` of the organisations and individual businesses (those registered with the
    /// market regulator), in order.
    pub fn registrants(&self) -> impl Iterator<Item = usize> + '_ {
        self.subjects.iter().enumerate().filter(|(_, s)| s.kind != Kind::Person).map(|(k, _)| k)
    }

    /// The whole dataset in batches of at most `part` rows, each generated when it is asked for, so that a store of
    /// millions of subjects is never in memory at once: registrations, licences, penalties (a quarter as many as
    /// subjects), then the lists. The same seed gives the same rows whatever `part` is.
    pub fn parts(&mut self, part: usize) -> Parts<'_> {
        let registrants = self.registrants().count();
        Parts { synth: self, part: part.max(1), registrants, stage: Stage::Registrations(0), queue: Default::default() }
    }
}

/// The batches of [`Synth::parts`].
pub struct Parts<'a> {
    synth: &'a mut Synth,
    part: usize,
    registrants: usize,
    stage: Stage,
    queue: std::collections::VecDeque<Batch>,
}

enum Stage {
    Registrations(usize),
    Licences(usize),
    Penalties,
    Lists,
    Done,
}

impl Parts<'_> {
    /// Queues `batches`, each cut into batches of at most `part` rows.
    fn queue(&mut self, batches: Vec<Batch>) {
        for mut b in batches {
            while b.rows.len() > self.part {
                // Drained into a vector of its own size (a split would keep the whole batch's capacity).
                let head: Vec<Vec<String>> = b.rows.drain(..self.part).collect();
                self.queue.push_back(Batch { rows: head, ..b.clone_empty() });
            }
            if !b.rows.is_empty() {
                b.rows.shrink_to_fit();
                self.queue.push_back(b);
            }
        }
    }
}

impl Batch {
    /// The same item and department without rows.
    fn clone_empty(&self) -> Batch {
        Batch { item: self.item, dept: self.dept.clone(), headers: self.headers.clone(), rows: Vec::new() }
    }
}

impl Iterator for Parts<'_> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        loop {
            if let Some(b) = self.queue.pop_front() {
                return Some(b);
            }
            let registrants = self.registrants;
            match self.stage {
                Stage::Registrations(at) | Stage::Licences(at) if at < registrants => {
                    let part = at..(at + self.part).min(registrants);
                    let b = match self.stage {
                        Stage::Registrations(_) => {
                            self.stage = Stage::Registrations(part.end);
                            self.synth.registrations(part)
                        }
                        _ => {
                            self.stage = Stage::Licences(part.end);
                            self.synth.licences(part)
                        }
                    };
                    self.queue(vec![b]);
                }
                Stage::Registrations(_) => self.stage = Stage::Licences(0),
                Stage::Licences(_) => self.stage = Stage::Penalties,
                Stage::Penalties => {
                    let n = self.synth.subjects.len() / 4;
                    let batches = self.synth.penalties(n);
                    self.queue(batches);
                    self.stage = Stage::Lists;
                }
                Stage::Lists => {
                    let batches = self.synth.lists();
                    self.queue(batches);
                    self.stage = Stage::Done;
                }
                Stage::Done => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn deterministic_and_valid() {
        let a = Synth::new(7, 500, date!(2026 - 11 - 25));
        let b = Synth::new(7, 500, date!(2026 - 11 - 25));
        assert_eq!(
            a.subjects.iter().map(|s| &s.code).collect::<Vec<_>>(),
            b.subjects.iter().map(|s| &s.code).collect::<Vec<_>>()
        );
        for s in &a.subjects {
            match s.kind {
                Kind::Person => {
                    assert!(credo_domain::ids::Ric::parse(&s.code, date!(2026 - 11 - 25)).is_ok(), "{}", s.code)
                }
                _ => assert!(credo_domain::ids::Uscc::parse(&s.code).is_ok(), "{}", s.code),
            }
        }
        for d in departments() {
            assert!(credo_domain::ids::Uscc::parse(&d.uscc).is_ok());
        }
    }

    #[test]
    fn parts_are_the_same_rows_whatever_their_size() {
        let rows = |part: usize| {
            let mut synth = Synth::new(7, 3000, date!(2026 - 11 - 25));
            let batches: Vec<Batch> = synth.parts(part).collect();
            assert!(batches.iter().all(|b| !b.rows.is_empty() && b.rows.len() <= part));
            batches
                .into_iter()
                .flat_map(|b| b.rows.into_iter().map(move |r| (b.item, b.dept.uscc.clone(), r)))
                .collect::<Vec<_>>()
        };
        let whole = rows(usize::MAX);
        assert!(whole.len() > 3000, "{}", whole.len());
        assert_eq!(rows(97), whole);
    }

    #[test]
    fn names_stay_unique_beyond_the_two_character_names() {
        // 24 surnames × 20 given names: 480 two-character names for the people of 20,000 subjects.
        let synth = Synth::new(3, 20_000, date!(2026 - 11 - 25));
        assert_eq!(synth.subjects.len(), 20_000);
        let names: std::collections::HashSet<&str> = synth.subjects.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), 20_000);
        let people = synth.subjects.iter().filter(|s| s.kind == Kind::Person).count();
        assert!(people > 600, "{people}");
    }

    #[test]
    fn the_new_lists_validate_against_the_catalog() {
        let today = date!(2026 - 11 - 25);
        let catalog = credo_domain::embedded::catalog();
        let mut synth = Synth::new(7, 3000, today);
        for b in synth.lists().into_iter().filter(|b| ["xzxf", "zdss"].contains(&b.item)) {
            assert!(!b.rows.is_empty(), "{}", b.item);
            let item = catalog.item(b.item).unwrap_or_else(|| panic!("{} missing", b.item));
            for row in &b.rows {
                let raw = b.headers.iter().map(|h| h.to_string()).zip(row.iter().cloned()).collect();
                let r = item.validate(&raw, &catalog.context(today));
                assert!(r.is_ok(), "{}: {:?}", b.item, r.err());
            }
        }
    }
}
