"""The default renovation menu: 31 items built from the three classes of 国办发〔2020〕23号
(DOMAIN.md §3). Ningbo's published 31-item menu was not found, so this list follows the
national classes: 基础类 (basic, "应改尽改": done wherever needed, shown to residents but not
chosen), 完善类 (improvement, "能改则改": done where possible) and 提升类 (upgrade, "积极推进":
services pursued actively).

Each community gets its own copy (`services.ensure_menu`), which its committee rewords, hides,
extends and prices; this tuple is never changed at run time. Keys are stable identifiers: a
community's copy keeps the key of the default it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

BASIC, IMPROVEMENT, UPGRADE = "basic", "improvement", "upgrade"
CATEGORIES = (BASIC, IMPROVEMENT, UPGRADE)


@dataclass(frozen=True)
class DefaultItem:
    key: str
    category: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str


def _item(key: str, category: str, zh: str, en: str, desc_zh: str, desc_en: str) -> DefaultItem:
    return DefaultItem(key, category, zh, en, desc_zh, desc_en)


DEFAULT_MENU: tuple[DefaultItem, ...] = (
    # -- 基础类: done wherever needed ------------------------------------------------------
    _item(
        "water_supply",
        BASIC,
        "供水管网改造",
        "Water supply pipes",
        "更换老旧、锈蚀的供水管道和水表,水压稳定,水质更干净。",
        "Old, rusty water pipes and meters are replaced: steady pressure and cleaner water.",
    ),
    _item(
        "drainage",
        BASIC,
        "排水和雨污分流",
        "Drainage and sewer separation",
        "疏通和更换排水管,雨水和污水分开排放,下雨不再积水、返臭。",
        "Drains are cleared and replaced, rain and sewage run in separate pipes: "
        "no more flooding or smells after rain.",
    ),
    _item(
        "power",
        BASIC,
        "供电线路改造",
        "Electricity supply",
        "更换老化电线和电表箱,提高每户用电容量,减少跳闸和火灾隐患。",
        "Ageing cables and meter boxes are replaced and each home gets more capacity: "
        "fewer power cuts and less fire risk.",
    ),
    _item(
        "gas",
        BASIC,
        "燃气管道改造",
        "Gas pipes",
        "更换老旧燃气管道和立管,尚未通管道燃气的楼栋接通燃气,不再换煤气罐。",
        "Old gas pipes are replaced and buildings without piped gas are connected: "
        "no more carrying gas bottles.",
    ),
    _item(
        "telecom",
        BASIC,
        "通信和光纤入户",
        "Telecom, fibre and mobile signal",
        "光纤接到每户,改善楼内手机信号,通信线路统一整理。",
        "Fibre reaches every home, mobile signal improves inside the buildings, "
        "and telecom cables are put in order.",
    ),
    _item(
        "overhead_lines",
        BASIC,
        "架空线规整入地",
        "Overhead cables tidied or buried",
        "把乱拉的电线、网线、电话线整理规整,条件允许的埋入地下。",
        "Tangled power, internet and phone cables are tidied up, and buried where possible.",
    ),
    _item(
        "roads",
        BASIC,
        "小区道路修缮",
        "Roads and paths",
        "修补坑洼破损的路面和人行道,走路、推轮椅和童车更平稳安全。",
        "Potholes and broken paving are repaired: safer walking and "
        "smoother for wheelchairs and prams.",
    ),
    _item(
        "fire_safety",
        BASIC,
        "消防设施改造",
        "Fire safety",
        "配齐灭火器和消火栓,打通消防通道,楼道设置应急照明和疏散标志。",
        "Extinguishers and hydrants are put in place, fire lanes are cleared, "
        "and stairwells get emergency lights and exit signs.",
    ),
    _item(
        "security",
        BASIC,
        "安防监控和门禁",
        "Security cameras and entry doors",
        "在出入口和主要道路安装监控,单元门装门禁,外来人员进出有记录。",
        "Cameras cover the gates and main paths, entrance doors get door entry: "
        "visitors coming and going are recorded.",
    ),
    _item(
        "waste_sorting",
        BASIC,
        "垃圾分类设施",
        "Waste sorting points",
        "建设有遮雨、可洗手的垃圾分类投放点,清运更及时,周边更干净。",
        "Covered sorting points with a place to wash hands: "
        "rubbish is collected on time and the area stays clean.",
    ),
    _item(
        "roof",
        BASIC,
        "屋面防水修缮",
        "Roof repair and waterproofing",
        "修补屋顶防水层和排水沟,顶楼住户不再漏雨渗水。",
        "Roofs get new waterproofing and gutters: no more leaks into top-floor homes.",
    ),
    _item(
        "facade",
        BASIC,
        "外立面整治",
        "External walls",
        "修补开裂、脱落的外墙,清除危险的空调架和雨棚,统一粉刷。",
        "Cracked and loose wall surfaces are repaired, unsafe brackets and awnings removed, "
        "and the walls repainted.",
    ),
    _item(
        "stairwell",
        BASIC,
        "楼道修缮和清理",
        "Stairwells repaired and cleared",
        "修补楼道墙面、扶手和照明,清理堆放杂物和小广告,上下楼更安全。",
        "Walls, handrails and lights in the stairwells are repaired, clutter and posters "
        "are cleared away: safer going up and down.",
    ),
    # -- 完善类: done where possible ---------------------------------------------------------
    _item(
        "illegal_structures",
        IMPROVEMENT,
        "拆除违法建设",
        "Illegal structures removed",
        "拆除侵占公共空间的违章搭建,腾出的地方用于绿化、停车或活动场地。",
        "Structures built illegally on shared land are removed, "
        "and the space goes to greenery, parking or a place to meet.",
    ),
    _item(
        "greening",
        IMPROVEMENT,
        "绿化改造",
        "Greenery",
        "补种树木花草,整理荒地和枯死绿化,增加可以坐下休息的树荫。",
        "Trees and plants are added, bare and dead patches replanted, with more shade to sit in.",
    ),
    _item(
        "lighting",
        IMPROVEMENT,
        "公共照明",
        "Outdoor lighting",
        "增设和更换路灯、庭院灯,夜里走路看得清、更安全。",
        "Street and garden lights are added or replaced: paths are well lit and safer at night.",
    ),
    _item(
        "barrier_free",
        IMPROVEMENT,
        "适老化和无障碍设施",
        "Elderly-friendly and step-free access",
        "单元口加坡道和扶手,台阶加防滑条,路边增设休息座椅。",
        "Ramps and handrails at the entrances, non-slip steps, "
        "and benches to rest on along the paths.",
    ),
    _item(
        "parking",
        IMPROVEMENT,
        "停车设施和汽车充电",
        "Parking and car charging",
        "重新规划停车位,增加车位并安装汽车充电桩,减少乱停乱放。",
        "Parking is laid out again with more spaces and car chargers: "
        "less parking on paths and lawns.",
    ),
    _item(
        "ebike_charging",
        IMPROVEMENT,
        "电动自行车集中停放充电",
        "E-bike parking and charging",
        "建设有遮挡的电动自行车棚和充电桩,不再把电瓶车推进楼道、拉线充电。",
        "Covered e-bike shelters with chargers: no more e-bikes or charging cables "
        "in the stairwells.",
    ),
    _item(
        "parcel_lockers",
        IMPROVEMENT,
        "智能快件箱和信报箱",
        "Parcel and mail lockers",
        "设置智能快递柜和信报箱,快递、信件随时可取,不易丢失。",
        "Parcel lockers and letter boxes: post and parcels can be collected any time "
        "and are not lost.",
    ),
    _item(
        "fitness",
        IMPROVEMENT,
        "文化休闲和健身场地",
        "Leisure and fitness space",
        "建设健身器材区、小广场和活动室,邻里有地方锻炼、聊天、办活动。",
        "Fitness equipment, a small square and an activity room: "
        "somewhere to exercise, talk and hold events.",
    ),
    _item(
        "property_room",
        IMPROVEMENT,
        "物业管理用房",
        "Property management office",
        "设置物业和业委会办公用房,有事找得到人,报修更方便。",
        "An office for the property manager and the committee: "
        "easy to find someone and report repairs.",
    ),
    _item(
        "insulation",
        IMPROVEMENT,
        "建筑节能改造(外墙保温)",
        "Energy retrofit (wall insulation)",
        "给外墙加保温层、更换节能门窗,冬暖夏凉,空调电费更省。",
        "Insulation on the outside walls and energy-saving windows: "
        "warmer in winter, cooler in summer, lower power bills.",
    ),
    _item(
        "lift",
        IMPROVEMENT,
        "加装电梯",
        "Lift added",
        "在条件允许的楼栋加装电梯,老人和行动不便的住户上下楼不再困难。",
        "A lift is added where the building allows: "
        "no more struggling up the stairs for older and disabled residents.",
    ),
    # -- 提升类: services pursued actively ---------------------------------------------------
    _item(
        "service_centre",
        UPGRADE,
        "社区综合服务站",
        "Community service centre",
        "在小区内或附近设服务站,办事、咨询、活动都能就近解决。",
        "A service centre in or near the community for errands, advice and activities "
        "close to home.",
    ),
    _item(
        "health_station",
        UPGRADE,
        "社区卫生服务站",
        "Health station",
        "就近设卫生服务站,量血压、配常用药、签约家庭医生不用跑远路。",
        "A health station nearby for blood pressure checks, common medicines "
        "and a family doctor without a long trip.",
    ),
    _item(
        "kindergarten",
        UPGRADE,
        "幼儿园",
        "Kindergarten",
        "新建或扩建附近幼儿园,孩子就近入园,接送更方便。",
        "A kindergarten is built or enlarged nearby: children get a place close to home.",
    ),
    _item(
        "care_services",
        UPGRADE,
        "养老托育和助餐家政服务",
        "Elderly care, childcare, meals and home help",
        "设老年人日间照料、托育点和老年食堂,提供家政服务,照顾老人小孩更省心。",
        "Day care for older people, a childcare point, a canteen serving meals "
        "and home help: caring for parents and children gets easier.",
    ),
    _item(
        "smart_perimeter",
        UPGRADE,
        "周界防护和智能感知",
        "Perimeter and smart sensors",
        "完善围墙和出入口管理,安装烟雾、燃气泄漏等智能报警,出事第一时间知道。",
        "Fences and gates are completed, with smart alarms for smoke and gas leaks: "
        "trouble is noticed at once.",
    ),
    _item(
        "convenience_store",
        UPGRADE,
        "便民市场和便利店",
        "Convenience market and shop",
        "引进便利店或便民菜场,买菜买日用品走几步就到。",
        "A convenience shop or small market: food and daily goods a few steps away.",
    ),
    _item(
        "parcel_station",
        UPGRADE,
        "快递服务站",
        "Parcel service station",
        "设快递驿站,有人代收代寄,老人取件寄件不用出远门。",
        "A staffed parcel station that takes in and sends parcels: "
        "no long trips to collect or post them.",
    ),
)
