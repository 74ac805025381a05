"""The rows of the illustrative seed catalog, one matter per line (read by make_seed_catalog.py).

Row: code, name, department, level, delegated, legal days, promised days, approval, materials.
Promised 0 days makes a matter instant (即办). Materials are space-separated tokens:

    key            a preset from PRESETS in make_seed_catalog.py (e.g. id, hukou, form)
    +名称          still required after the reform; suffix ! = critical, ~ = deferrable (容缺)
    ?名称          required only in some cases (counts in no indicator)
    -名称@ground   waived on ground law | db | visit | unverifiable | shown
"""

from __future__ import annotations

from tools import seed_departments as d

Row = tuple[str, str, str, str, bool, int, int, str, str]
# One matter per entry: the layout is the table, so the formatter leaves it alone.
# fmt: off
ROWS: list[Row] = [
    # -- birth ---------------------------------------------------------------------------------
    ("BIR-001", "出生医学证明首次签发", d.WJ, "county", False, 20, 0, "window",
     "form id -结婚证复印件@db +分娩记录! vcert hukou"),
    ("BIR-002", "生育登记", d.WJ, "county", True, 10, 0, "window",
     "form id hukou -结婚证复印件@db vcert -计划生育情况证明@law -镇（街道）初审意见表@law"
     " -近期免冠照片（存档用）@law"),
    ("BIR-003", "新生儿出生户口登记", d.GA, "county", True, 20, 1, "department",
     "form +出生医学证明原件! +户口簿原件! id -结婚证复印件@db vcert -镇（街道）初审意见表@law"),
    ("BIR-004", "新生儿城乡居民医保参保登记", d.YB, "county", True, 10, 0, "window",
     "form -出生医学证明复印件@db hukou id vcert -镇（街道）初审意见表@law"),
    ("BIR-005", "城乡居民生育医疗费用报销", d.YB, "county", True, 30, 2, "department",
     "form id invoice medrec -医保参保证明@db bank vcert -镇（街道）初审意见表@law hukou"),
    ("BIR-006", "生育津贴申领", d.YB, "county", False, 20, 2, "department",
     "form id medrec -出生医学证明复印件@db -单位工资证明@db bank hukou"),
    ("BIR-007", "农村部分计划生育家庭奖励扶助资格确认", d.WJ, "county", True, 40, 4, "town",
     "form id hukou -独生子女父母光荣证@db -生育情况证明@visit vcert -结婚证复印件@db bank"
     " -镇（街道）初审意见表@law -近期免冠照片（存档用）@law"),
    ("BIR-011", "预防接种证办理", d.WJ, "county", False, 5, 0, "window",
     "-出生医学证明复印件@shown -监护人身份证复印件@shown hukou"),
    # -- school --------------------------------------------------------------------------------
    ("EDU-001", "义务教育阶段新生入学登记", d.JY, "county", False, 20, 2, "department",
     "form hukou id -房产证明@db -居住证明@visit -预防接种证复印件@db"),
    ("EDU-002", "义务教育阶段学生转学", d.JY, "county", False, 15, 1, "department",
     "form id hukou -转出学校同意书@db -学籍证明@db -居住证明@visit"),
    ("EDU-003", "学前教育幼儿资助申请", d.JY, "county", True, 30, 4, "department",
     "form id hukou income -困难证明@law vcert bank -镇（街道）初审意见表@law"
     " -近期免冠照片（存档用）@law -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("EDU-004", "义务教育家庭经济困难学生生活补助申请", d.JY, "county", True, 30, 4, "department",
     "form id hukou income -困难证明@law -学籍证明@db vcert bank -镇（街道）初审意见表@law"
     " -近期免冠照片（存档用）@law -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("EDU-005", "普通高中国家助学金申请", d.JY, "county", False, 30, 4, "department",
     "form id hukou income -困难证明@law -学籍证明@db -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("EDU-006", "生源地信用助学贷款受理", d.JY, "county", True, 20, 2, "department",
     "form +录取通知书或学籍证明! id hukou -家庭经济困难证明@visit vcert"
     " -共同借款人收入证明@unverifiable -镇（街道）初审意见表@law -近期免冠照片（存档用）@law"
     " -家庭成员身份证及户口簿复印件@db -家庭成员就业状况证明@unverifiable"),
    ("EDU-007", "中等职业学校学生免学费申请", d.JY, "county", False, 30, 4, "department",
     "form id hukou -学籍证明@db -户籍所在地证明@db"),
    ("EDU-008", "雨露计划职业教育补助申请", d.NY, "county", True, 30, 4, "department",
     "form id hukou -学籍证明@db -脱贫户证明@db vcert bank -镇（街道）初审意见表@law"
     " -近期免冠照片（存档用）@law"),
    ("EDU-009", "教师资格认定", d.JY, "county", False, 60, 8, "department",
     "form id photo -学历证书复印件@db -普通话水平测试等级证书@db -体检报告@law"
     " -思想品德鉴定表@unverifiable +教师资格考试合格证明! hukou"),
    ("EDU-010", "学籍证明开具", d.JY, "county", False, 5, 0, "window",
     "form id -户口簿复印件@db -在校证明@db"),
    # -- medical care --------------------------------------------------------------------------
    ("MED-001", "城乡居民基本医疗保险参保登记", d.YB, "county", True, 10, 0, "window",
     "form id hukou vcert -镇（街道）初审意见表@law"),
    ("MED-003", "异地就医备案", d.YB, "county", True, 10, 0, "window",
     "form id sscard -异地居住证明@unverifiable -转诊证明@law -镇（街道）初审意见表@law"),
    ("MED-004", "门诊慢特病待遇认定", d.YB, "county", True, 30, 4, "department",
     "form id sscard medrec -检查检验报告复印件@db -近期免冠照片@law -镇（街道）初审意见表@law"
     " hukou"),
    ("MED-005", "医疗费用零星报销", d.YB, "county", True, 30, 4, "department",
     "form id sscard invoice medrec -费用明细清单@db bank -镇（街道）初审意见表@law hukou"),
    ("MED-006", "医疗救助申请", d.YB, "county", True, 30, 4, "town",
     "form id hukou invoice -医疗费用结算单@db -困难身份证明@db income vcert bank"
     " -镇（街道）初审意见表@law -近期免冠照片（存档用）@law -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("MED-007", "城乡居民医保缴费凭证打印", d.YB, "county", True, 5, 0, "window",
     "id -参保证明@db"),
    ("MED-008", "家庭医生签约服务", d.WJ, "county", True, 5, 0, "window",
     "form id -医保卡复印件@shown hukou -镇（街道）初审意见表@law"),
    ("MED-009", "基本医疗保险关系转移接续", d.YB, "county", False, 45, 6, "department",
     "form id -参保凭证@db -转出地缴费证明@db hukou"),
    ("MED-010", "医疗机构执业登记", d.WJ, "county", False, 45, 6, "department",
     "form +设置批准书! +房屋产权证明或租赁合同! +医务人员执业证书!"
     " -法定代表人身份证复印件@shown +规章制度 -验资证明@law -书面申请报告@law"),
    ("MED-011", "医师执业注册", d.WJ, "county", False, 20, 2, "department",
     "form id photo +医师资格证书! -体检证明@law +执业机构聘用证明! hukou"),
    ("MED-012", "护士执业注册", d.WJ, "county", False, 20, 2, "department",
     "form id photo +护士执业资格考试成绩合格证明! -体检证明@law +执业机构拟聘用证明! hukou"),
    # -- marriage ------------------------------------------------------------------------------
    ("MAR-001", "内地居民结婚登记", d.MZ, "county", False, 5, 0, "window",
     "id hukou photo -无配偶声明公证@law -单位婚姻状况证明@unverifiable"),
    ("MAR-002", "内地居民离婚登记", d.MZ, "county", False, 30, 30, "window",
     "id hukou +结婚证原件! +离婚协议书! photo -单位证明@unverifiable"),
    ("MAR-003", "补领结婚证、离婚证", d.MZ, "county", False, 10, 0, "window",
     "form id hukou photo -婚姻登记档案证明@db vcert"),
    ("MAR-004", "婚姻登记记录证明出具", d.MZ, "county", False, 5, 0, "window",
     "form id hukou -户籍证明@db"),
    ("MAR-005", "婚前医学检查", d.WJ, "county", False, 5, 1, "department",
     "form id -近期免冠照片@law -户口簿复印件@db"),
    ("MAR-006", "收养登记", d.MZ, "county", False, 30, 6, "department",
     "form id hukou photo +收养协议! income -无子女证明@db -健康检查证明@law"
     " -无犯罪记录证明@db"),
    # -- employment ----------------------------------------------------------------------------
    ("EMP-001", "失业登记", d.RS, "county", True, 10, 0, "window",
     "form id hukou -解除劳动关系证明@db jobless -近期免冠照片@law vcert"
     " -镇（街道）初审意见表@law"),
    ("EMP-002", "就业登记", d.RS, "county", True, 10, 0, "window",
     "form id -劳动合同复印件@db hukou vcert -镇（街道）初审意见表@law"),
    ("EMP-003", "就业创业证申领", d.RS, "county", True, 10, 0, "window",
     "form id hukou photo -学历证明@db vcert -镇（街道）初审意见表@law"),
    ("EMP-004", "失业保险金申领", d.RS, "county", True, 20, 2, "department",
     "form id -解除劳动关系证明@db -失业登记证明@db jobless account -镇（街道）初审意见表@law"
     " hukou -近期免冠照片（存档用）@law"),
    ("EMP-005", "就业困难人员认定", d.RS, "county", True, 20, 0, "window",
     "form id hukou -就业创业证复印件@db -困难情形证明@visit jobless vcert"
     " -镇（街道）初审意见表@law -近期免冠照片（存档用）@law"),
    ("EMP-006", "求职登记", d.RS, "county", True, 5, 0, "window",
     "form id -学历证书复印件@shown hukou -镇（街道）初审意见表@law"),
    ("EMP-007", "职业技能培训补贴申领", d.RS, "county", True, 30, 4, "department",
     "form id -培训结业证书复印件@db -职业技能等级证书复印件@db +培训费发票! bank vcert"
     " -镇（街道）初审意见表@law hukou"),
    ("EMP-008", "创业担保贷款申请", d.RS, "county", True, 30, 4, "department",
     "form id hukou license -经营场所证明@visit +创业计划书~ -信用证明@db vcert"
     " -担保人收入证明@unverifiable -镇（街道）初审意见表@law -近期免冠照片（存档用）@law"),
    ("EMP-009", "一次性创业补贴申领", d.RS, "county", True, 30, 4, "department",
     "form id license -社会保险缴费证明@db -经营场所证明@visit -就业创业证复印件@db bank"
     " -镇（街道）初审意见表@law hukou -近期免冠照片（存档用）@law"),
    ("EMP-011", "公益性岗位补贴申领", d.RS, "county", False, 30, 4, "department",
     "form +岗位人员花名册! -劳动合同复印件@db -社会保险缴费证明@db -工资发放凭证@db"),
    ("EMP-012", "高校毕业生就业见习补贴申领", d.RS, "county", False, 30, 4, "department",
     "form +见习协议! -毕业证书复印件@db -见习考勤表@unverifiable -工资发放凭证@db"),
    ("EMP-013", "劳动人事争议仲裁申请", d.RS, "county", False, 45, 15, "department",
     "+仲裁申请书! id +证据材料! -劳动关系证明@law"),
    ("EMP-014", "劳动保障监察投诉受理", d.RS, "county", False, 60, 8, "department",
     "+投诉书! id +证据材料~ -用人单位营业执照复印件@db"),
    ("EMP-015", "人力资源服务许可", d.RS, "county", False, 20, 2, "department",
     "form license -场所使用证明@visit +专职工作人员名单! -规章制度文本@law -书面申请报告@law"),
    # -- social insurance ----------------------------------------------------------------------
    ("SOC-001", "社会保障卡申领", d.RS, "county", True, 20, 2, "department",
     "form id hukou -证件照片@db -参保证明@db vcert -镇（街道）初审意见表@law"),
    ("SOC-002", "社会保障卡挂失", d.RS, "county", True, 3, 0, "window",
     "form id -遗失声明@law"),
    ("SOC-003", "社会保障卡补领、换领", d.RS, "county", True, 20, 2, "department",
     "form id -证件照片@db -遗失声明@law -原卡挂失证明@db hukou -镇（街道）初审意见表@law"),
    ("SOC-004", "城乡居民基本养老保险参保登记", d.RS, "county", True, 10, 0, "window",
     "form id hukou vcert -未参加职工养老保险证明@db -镇（街道）初审意见表@law"),
    ("SOC-005", "城乡居民基本养老保险待遇申领", d.RS, "county", True, 20, 2, "department",
     "form id hukou -近期免冠照片@law -缴费凭证@db -未领取其他养老待遇证明@db account vcert"
     " -镇（街道）初审意见表@law"),
    ("SOC-007", "领取养老金人员待遇资格认证", d.RS, "county", True, 5, 0, "window",
     "id -生存证明@unverifiable vcert"),
    ("SOC-008", "个人社会保险参保证明查询打印", d.RS, "county", True, 5, 0, "window",
     "id -参保缴费记录@db"),
    ("SOC-009", "城乡居民养老保险关系转移接续", d.RS, "county", False, 45, 6, "department",
     "form id hukou -参保缴费凭证@db -转入地户籍证明@db"),
    ("SOC-010", "企业职工基本养老保险退休申请", d.RS, "county", False, 30, 4, "department",
     "form id hukou -人事档案@db -缴费凭证@db -工龄证明@db -近期免冠照片@law"),
    ("SOC-011", "工伤认定申请", d.RS, "county", False, 60, 8, "department",
     "form id +劳动关系证明材料! +医疗诊断证明! -事故调查报告@visit -证人证言@unverifiable"
     " hukou"),
    ("SOC-012", "工伤保险待遇核定", d.RS, "county", False, 20, 4, "department",
     "form id -工伤认定决定书@db -劳动能力鉴定结论@db invoice bank hukou"),
    ("SOC-013", "灵活就业人员参保登记", d.RS, "county", True, 10, 0, "window",
     "form id hukou -灵活就业证明@unverifiable -镇（街道）初审意见表@law"),
    # -- business ------------------------------------------------------------------------------
    ("BUS-001", "个体工商户设立登记", d.SJ, "county", True, 15, 1, "department",
     "form id -近期免冠照片@law +经营场所使用证明~ -房屋产权证明@db -村委会同意经营证明@law"
     " -健康证明@law -镇（街道）初审意见表@law hukou"),
    ("BUS-002", "个体工商户变更登记", d.SJ, "county", True, 15, 1, "department",
     "form id license +变更事项证明~ -原营业执照复印件@shown -镇（街道）初审意见表@law"),
    ("BUS-003", "个体工商户注销登记", d.SJ, "county", True, 15, 1, "department",
     "form id -营业执照正副本@db -清税证明@db -债务清理证明@unverifiable"
     " -镇（街道）初审意见表@law"),
    ("BUS-005", "企业设立登记", d.SJ, "county", False, 15, 1, "department",
     "form +公司章程! +股东主体资格证明! -法定代表人身份证复印件@shown +住所使用证明~"
     " -验资报告@law -名称预先核准通知书@law -书面申请报告@law"),
    ("BUS-006", "企业变更登记", d.SJ, "county", False, 15, 0, "window",
     "form +股东会决议! +章程修正案! license -变更事项相关证明@db"),
    ("BUS-007", "企业注销登记", d.SJ, "county", False, 20, 1, "department",
     "form +清算报告! +股东会决议! license -清税证明@db -公告证明@db"),
    ("BUS-008", "食品经营许可", d.SJ, "county", False, 20, 2, "department",
     "form license +经营场所平面图! +食品安全管理制度! -从业人员健康证明@db"
     " -法定代表人身份证复印件@shown -书面申请报告@law"),
    ("BUS-009", "食品小作坊登记", d.SJ, "county", False, 20, 2, "department",
     "form id +生产场所布局图! +生产工艺流程! -从业人员健康证明@db -场所证明@visit"
     " -书面申请报告@law"),
    ("BUS-010", "药品零售企业许可", d.SJ, "county", False, 30, 4, "department",
     "form license +执业药师注册证! +质量管理文件! +经营场所证明!"
     " -法定代表人身份证复印件@shown -书面申请报告@law"),
    ("BUS-011", "公共场所卫生许可", d.WJ, "county", False, 20, 2, "department",
     "form license +卫生管理制度! -从业人员健康证明@db -卫生检测报告@law -场所平面图@visit"
     " -书面申请报告@law"),
    ("BUS-012", "烟草专卖零售许可", "县烟草专卖局", "county", False, 20, 2, "department",
     "form id license -经营场所证明@visit -非未成年人学校周边证明@visit -书面申请报告@law"),
    ("BUS-013", "农民专业合作社设立登记", d.SJ, "county", False, 15, 1, "department",
     "form +合作社章程! +成员名册! -成员身份证复印件@shown -住所使用证明@visit"
     " -出资清单@unverifiable"),
    ("BUS-014", "营业执照遗失补领", d.SJ, "county", False, 10, 0, "window",
     "form id -遗失登报声明@law"),
    ("BUS-015", "个人代开增值税普通发票", d.SW, "county", False, 5, 0, "window",
     "id +合同或交易凭证! -经营证明@unverifiable hukou"),
    ("BUS-016", "道路货物运输经营许可", "县交通运输局", "county", False, 20, 2, "department",
     "form id +车辆行驶证! +驾驶员从业资格证! -车辆技术等级评定@law +安全生产管理制度!"
     " -书面申请报告@law"),
    ("BUS-018", "乡村民宿（农家乐）经营备案", d.WL, "county", True, 20, 1, "department",
     "form id license -房屋产权证明@db -消防安全检查合格证明@visit -卫生许可证复印件@db vcert"
     " -镇（街道）初审意见表@law hukou"),
    # -- house building and housing ------------------------------------------------------------
    ("HOU-001", "农村村民宅基地和建房（规划许可）申请", d.TOWN, "town", True, 20, 6, "town",
     "form id hukou -宅基地使用权证明@db -建房设计图@law -村民代表会议意见@visit"
     " -邻里意见书@visit -无其他宅基地证明@db housephoto"),
    ("HOU-002", "农村危房改造申请", d.ZJ, "county", True, 45, 10, "department",
     "form id hukou -房屋危险性鉴定报告@visit -困难家庭证明@db income vcert housephoto account"
     " -镇（街道）初审意见表@law -近期免冠照片（存档用）@law -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("HOU-003", "乡村建设规划许可证核发", d.TOWN, "town", False, 20, 4, "town",
     "form id -土地使用证明@db +建设工程设计方案! -村委会意见@law"),
    ("HOU-004", "农村村民住宅竣工验收", d.TOWN, "town", False, 15, 2, "town",
     "form id -乡村建设规划许可证@db -施工合同@law +竣工照片~"),
    ("HOU-005", "不动产首次登记", d.ZR, "county", False, 30, 2, "department",
     "form id +权属来源材料! -土地权属证明@db -地籍调查成果@db -房屋竣工证明@db"),
    ("HOU-006", "不动产转移登记", d.ZR, "county", False, 30, 1, "department",
     "form id +不动产权证书! +买卖合同! -完税证明@db -婚姻状况证明@db"),
    ("HOU-007", "不动产登记资料查询", d.ZR, "county", False, 5, 0, "window",
     "form id -查询目的证明@law"),
    ("HOU-008", "公共租赁住房申请", d.ZJ, "county", True, 30, 6, "department",
     "form id hukou income property -住房困难证明@db -婚姻状况证明@db vcert"
     " -镇（街道）初审意见表@law -近期免冠照片（存档用）@law -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("HOU-009", "城镇住房租赁补贴申请", d.ZJ, "county", True, 30, 6, "department",
     "form id hukou income property +房屋租赁合同~ vcert bank -镇（街道）初审意见表@law"
     " -近期免冠照片（存档用）@law -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("HOU-010", "建筑工程施工许可", d.ZJ, "county", False, 15, 1, "department",
     "form +建设工程规划许可证! +施工合同! -施工图审查合格书@law -资金到位证明@unverifiable"
     " -用地批准文件@db -书面申请报告@law"),
    ("HOU-011", "住房公积金提取", "县住房公积金管理部", "county", False, 3, 0, "window",
     "form id -提取事由证明@db -婚姻状况证明@db bank"),
    ("HOU-013", "商品房买卖合同网签备案", d.ZJ, "county", False, 5, 0, "window",
     "id +商品房买卖合同! -购房资格证明@db"),
    # -- agriculture ---------------------------------------------------------------------------
    ("AGR-001", "农机购置补贴申请", d.NY, "county", True, 30, 7, "department",
     "form id +购机发票! -农机合格证复印件@shown -机具照片@visit hukou vcert account"
     " -镇（街道）初审意见表@law -近期免冠照片（存档用）@law"),
    ("AGR-002", "耕地地力保护补贴申领", d.NY, "county", True, 30, 4, "department",
     "form id -土地承包经营权证复印件@db -种植面积证明@visit vcert account"
     " -镇（街道）初审意见表@law hukou -近期免冠照片（存档用）@law"),
    ("AGR-003", "农村土地承包经营权流转合同备案", d.TOWN, "town", True, 15, 0, "window",
     "+流转合同! id -土地承包经营权证复印件@db -村委会证明@law -发包方同意书@visit"),
    ("AGR-004", "农村土地承包经营权证变更", d.NY, "county", False, 20, 4, "department",
     "form id hukou -原承包经营权证@db -变更原因证明@visit -村委会意见@law"),
    ("AGR-005", "拖拉机和联合收割机登记", d.NY, "county", False, 10, 0, "window",
     "form id +购机发票! +合格证明! -安全技术检验合格证明@law"),
    ("AGR-006", "拖拉机和联合收割机驾驶证申领", d.NY, "county", False, 20, 2, "department",
     "form id photo -身体条件证明@law +考试合格证明! hukou"),
    ("AGR-007", "动物防疫条件合格证核发", d.NY, "county", False, 20, 2, "department",
     "form license +场所平面图! +防疫制度! -选址证明@visit -书面申请报告@law"),
    ("AGR-008", "农药经营许可", d.NY, "county", False, 20, 2, "department",
     "form license +经营人员资质证明! +经营场所证明! -仓储设施证明@visit -书面申请报告@law"),
    ("AGR-009", "林木采伐许可证核发", "县林业局", "county", False, 20, 1, "department",
     "form id -林权证复印件@db -伐区调查设计@visit -村委会证明@law"),
    ("AGR-010", "取水许可", "县水利局", "county", False, 45, 4, "department",
     "form license +水资源论证报告! -取水工程证明@visit -书面申请报告@law"),
    ("AGR-013", "政策性种植业保险投保登记", d.NY, "county", True, 10, 0, "window",
     "form id -种植面积证明@visit -土地承包证明@db -镇（街道）初审意见表@law hukou"),
    ("AGR-014", "畜禽规模养殖场备案", d.NY, "county", False, 10, 0, "window",
     "form id -用地证明@db -环评备案@db +养殖规模说明~"),
    # -- elderly -------------------------------------------------------------------------------
    ("ELD-001", "老年人优待证办理", d.MZ, "county", True, 10, 0, "window",
     "form id hukou photo vcert -镇（街道）初审意见表@law"),
    ("ELD-002", "高龄津贴申领", d.MZ, "county", True, 20, 0, "window",
     "form id hukou -生存证明@unverifiable vcert bank -镇（街道）初审意见表@law"
     " -近期免冠照片（存档用）@law"),
    ("ELD-003", "经济困难老年人养老服务补贴申请", d.MZ, "county", True, 30, 4, "department",
     "form id hukou income -失能评估证明@visit -困难证明@db vcert account"
     " -镇（街道）初审意见表@law -近期免冠照片（存档用）@law -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("ELD-004", "居家养老服务申请", d.MZ, "county", True, 15, 1, "town",
     "form id hukou -能力评估报告@visit -家庭情况证明@visit vcert -镇（街道）初审意见表@law"
     " -近期免冠照片（存档用）@law"),
    ("ELD-005", "养老机构备案", d.MZ, "county", False, 10, 0, "window",
     "form license +服务场所证明! -消防验收证明@db -卫生许可证明@db -书面申请报告@law"),
    # -- social assistance ---------------------------------------------------------------------
    ("AST-001", "最低生活保障申请（低保）", d.MZ, "county", True, 30, 4, "town",
     "form id hukou income property -家庭经济状况核对授权书@law -银行存款证明@db"
     " -婚姻状况证明@db vcert -残疾或疾病证明@db account -镇（街道）初审意见表@law"
     " -近期免冠照片（存档用）@law -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("AST-002", "特困人员救助供养申请", d.MZ, "county", True, 30, 4, "town",
     "form id hukou income property -无劳动能力证明@visit -无法定赡养人证明@unverifiable vcert"
     " bank -镇（街道）初审意见表@law -近期免冠照片（存档用）@law"
     " -家庭成员身份证及户口簿复印件@db -家庭成员就业状况证明@unverifiable"),
    ("AST-003", "临时救助申请", d.MZ, "county", True, 15, 1, "town",
     "form id hukou -遭遇困难证明@visit income -医疗费用票据@shown vcert bank"
     " -镇（街道）初审意见表@law -近期免冠照片（存档用）@law -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("AST-004", "低收入家庭认定", d.MZ, "county", True, 30, 4, "town",
     "form id hukou income property -婚姻状况证明@db vcert -镇（街道）初审意见表@law"
     " -近期免冠照片（存档用）@law -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("AST-005", "孤儿基本生活保障金申领", d.MZ, "county", True, 30, 4, "department",
     "form id hukou -父母死亡证明@db -监护人证明@db -近期免冠照片@law vcert bank"
     " -镇（街道）初审意见表@law"),
    ("AST-006", "事实无人抚养儿童认定", d.MZ, "county", True, 30, 4, "department",
     "form id hukou -父母情况证明@visit -监护人证明@db vcert bank -镇（街道）初审意见表@law"
     " -近期免冠照片（存档用）@law"),
    ("AST-007", "惠民殡葬补贴申领", d.MZ, "county", True, 10, 0, "window",
     "form -死亡证明@db -火化证明@db -经办人身份证复印件@shown -亲属关系证明@db bank"
     " -镇（街道）初审意见表@law"),
    ("AST-009", "社会团体成立登记", d.MZ, "county", False, 60, 8, "department",
     "form +章程草案! +会员名单! -业务主管单位批准文件@law -住所使用权证明@db -验资报告@law"
     " -书面申请报告@law"),
    # -- disability ----------------------------------------------------------------------------
    ("DIS-001", "残疾人证新办", d.CL, "county", True, 30, 4, "department",
     "form id hukou photo +残疾评定表! -医院诊断证明@shown vcert -镇（街道）初审意见表@law"),
    ("DIS-002", "残疾人证换领", d.CL, "county", True, 15, 1, "department",
     "form id hukou -证件照片@db -原残疾人证@db -镇（街道）初审意见表@law"),
    ("DIS-003", "困难残疾人生活补贴申领", d.CL, "county", True, 20, 2, "department",
     "form id disab -低保证明@db income vcert bank -镇（街道）初审意见表@law hukou"
     " -近期免冠照片（存档用）@law -家庭成员身份证及户口簿复印件@db"
     " -家庭成员就业状况证明@unverifiable"),
    ("DIS-004", "重度残疾人护理补贴申领", d.CL, "county", True, 20, 2, "department",
     "form id disab -残疾等级证明@db -护理情况证明@visit vcert account"
     " -镇（街道）初审意见表@law hukou -近期免冠照片（存档用）@law"),
    ("DIS-007", "残疾儿童康复救助申请", d.CL, "county", False, 20, 2, "department",
     "form id hukou -诊断证明@shown disab"),
    # -- household registration and ID ---------------------------------------------------------
    ("HHR-001", "居民身份证申领（首次、换领）", d.GA, "county", True, 60, 6, "department",
     "form +户口簿原件! photo -原居民身份证@shown -村委会证明@law -镇（街道）初审意见表@law"),
    ("HHR-002", "居民身份证补领", d.GA, "county", True, 60, 6, "department",
     "form +户口簿原件! photo -遗失声明@law -村委会证明@law -镇（街道）初审意见表@law"),
    ("HHR-003", "临时居民身份证申领", d.GA, "county", False, 5, 0, "window",
     "form +户口簿原件! photo -申领理由证明@law"),
    ("HHR-004", "死亡人员户口注销", d.GA, "county", True, 10, 1, "department",
     "form -死亡医学证明@db -户口簿原件@db -被注销人身份证@unverifiable"
     " -申报人身份证复印件@shown vcert -镇（街道）初审意见表@law"),
    ("HHR-005", "县内户口迁移", d.GA, "county", False, 20, 0, "window",
     "form id hukou -迁入地住房证明@db -村委会同意迁入证明@law -亲属关系证明@db"),
    ("HHR-006", "投靠类户口迁入", d.GA, "county", False, 20, 2, "department",
     "form id hukou -亲属关系证明@db -被投靠人住房证明@db -婚姻状况证明@db vcert"),
    ("HHR-007", "户口登记项目变更更正", d.GA, "county", False, 30, 2, "department",
     "form id +户口簿原件! -变更依据证明@db -单位证明@law"),
    ("HHR-008", "居住证申领", d.GA, "county", True, 15, 2, "department",
     "form id photo -居住证明@visit -就业或就学证明@unverifiable -镇（街道）初审意见表@law"
     " hukou"),
    ("HHR-009", "户口簿换领、补领", d.GA, "county", False, 10, 0, "window",
     "form id -遗失声明@law"),
    ("HHR-010", "无犯罪记录证明开具", d.GA, "county", False, 5, 0, "window",
     "form id -用途证明@law -单位介绍信@law hukou"),
    ("HHR-011", "机动车驾驶证期满换证", d.JJ, "county", False, 5, 0, "window",
     "form id photo -身体条件证明@shown hukou"),
    ("HHR-012", "往来港澳通行证申领", d.CR, "county", False, 20, 3, "department",
     "form id photo -户口簿复印件@db -单位意见@law"),
    # -- veterans ------------------------------------------------------------------------------
    ("VET-001", "退役军人优待证申领", d.TY, "county", True, 20, 2, "department",
     "form id photo -退役证@db hukou -镇（街道）初审意见表@law"),
    ("VET-002", "义务兵家庭优待金申领", d.TY, "county", True, 20, 2, "department",
     "form id hukou -入伍通知书@db vcert bank -镇（街道）初审意见表@law"
     " -近期免冠照片（存档用）@law"),
    ("VET-003", "残疾退役军人伤残抚恤关系接转", d.TY, "county", False, 30, 4, "department",
     "form id +残疾军人证! -户口迁移证明@db -抚恤档案@db hukou"),
    ("VET-004", "退役士兵自主就业地方经济补助发放", d.TY, "county", False, 20, 4, "department",
     "form id -退役证@db bank hukou"),
    ("VET-006", "退役军人信息采集登记", d.TY, "county", True, 5, 0, "window",
     "form id -退役证@shown hukou -镇（街道）初审意见表@law"),
    # -- legal services ------------------------------------------------------------------------
    ("LAW-001", "法律援助申请", d.SF, "county", True, 7, 1, "department",
     "form id income +案件相关材料~ -经济困难证明@unverifiable vcert -镇（街道）初审意见表@law"
     " hukou -近期免冠照片（存档用）@law"),
    ("LAW-002", "人民调解申请", d.TJ, "village", True, 30, 4, "window",
     "+调解申请书! id +纠纷相关证据~"),
    ("LAW-003", "继承公证", "县公证处", "county", False, 15, 2, "department",
     "form id -死亡证明@db -亲属关系证明@db +遗产权属证明! -村委会证明@law hukou"),
]
# fmt: on
