namespace Renkei.Registry.Seeding;

/// <summary>A written name and its reading in katakana (フリガナ), as the resident record keeps both.</summary>
public readonly record struct NameWithReading(string Written, string Kana);

/// <summary>
/// Common Japanese family names, most frequent first, and given names grouped by the era in which they
/// were popular, so that a grandmother is 幸子 and a grandchild 陽菜. Hand-written; no real person.
/// </summary>
public static class JapaneseNames
{
    private static NameWithReading[] Parse(string pairs) =>
        pairs.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split(':')).Select(p => new NameWithReading(p[0], p[1])).ToArray();

    /// <summary>Family names, roughly in order of frequency.</summary>
    public static readonly NameWithReading[] Family = Parse("""
        佐藤:サトウ 鈴木:スズキ 高橋:タカハシ 田中:タナカ 伊藤:イトウ 渡辺:ワタナベ 山本:ヤマモト 中村:ナカムラ 小林:コバヤシ 加藤:カトウ
        吉田:ヨシダ 山田:ヤマダ 佐々木:ササキ 山口:ヤマグチ 松本:マツモト 井上:イノウエ 木村:キムラ 林:ハヤシ 斎藤:サイトウ 清水:シミズ
        山崎:ヤマザキ 森:モリ 池田:イケダ 橋本:ハシモト 阿部:アベ 石川:イシカワ 山下:ヤマシタ 中島:ナカジマ 石井:イシイ 小川:オガワ
        前田:マエダ 岡田:オカダ 長谷川:ハセガワ 藤田:フジタ 後藤:ゴトウ 近藤:コンドウ 村上:ムラカミ 遠藤:エンドウ 青木:アオキ 坂本:サカモト
        斉藤:サイトウ 福田:フクダ 太田:オオタ 西村:ニシムラ 藤井:フジイ 金子:カネコ 岡本:オカモト 藤原:フジワラ 中野:ナカノ 三浦:ミウラ
        原田:ハラダ 中川:ナカガワ 松田:マツダ 竹内:タケウチ 小野:オノ 田村:タムラ 中山:ナカヤマ 和田:ワダ 石田:イシダ 森田:モリタ
        上田:ウエダ 原:ハラ 内田:ウチダ 柴田:シバタ 酒井:サカイ 宮崎:ミヤザキ 横山:ヨコヤマ 高木:タカギ 安藤:アンドウ 宮本:ミヤモト
        大野:オオノ 小島:コジマ 谷口:タニグチ 今井:イマイ 工藤:クドウ 高田:タカダ 増田:マスダ 丸山:マルヤマ 杉山:スギヤマ 村田:ムラタ
        大塚:オオツカ 小山:コヤマ 藤本:フジモト 平野:ヒラノ 新井:アライ 河野:コウノ 上野:ウエノ 武田:タケダ 野口:ノグチ 松井:マツイ
        千葉:チバ 菅原:スガワラ 岩崎:イワサキ 木下:キノシタ 久保:クボ 佐野:サノ 野村:ノムラ 松尾:マツオ 菊地:キクチ 杉本:スギモト
        市川:イチカワ 古川:フルカワ 大西:オオニシ 島田:シマダ 水野:ミズノ 桜井:サクライ 高野:タカノ 渡部:ワタナベ 吉川:ヨシカワ 山内:ヤマウチ
        西田:ニシダ 飯田:イイダ 菊池:キクチ 西川:ニシカワ 小松:コマツ 北村:キタムラ 安田:ヤスダ 五十嵐:イガラシ 川口:カワグチ 平田:ヒラタ
        関:セキ 中田:ナカタ 久保田:クボタ 服部:ハットリ 東:アズマ 岩田:イワタ 土屋:ツチヤ 川崎:カワサキ 福島:フクシマ 本田:ホンダ
        """);

    /// <summary>Male given names: [0] born before 1965, [1] 1965–1994, [2] 1995 and later.</summary>
    public static readonly NameWithReading[][] Male =
    [
        Parse("""
            浩:ヒロシ 隆:タカシ 茂:シゲル 博:ヒロシ 清:キヨシ 勇:イサム 実:ミノル 進:ススム 修:オサム 明:アキラ 豊:ユタカ 正:タダシ 武:タケシ
            義雄:ヨシオ 正男:マサオ 幸雄:ユキオ 和夫:カズオ 昭:アキラ 孝:タカシ 一郎:イチロウ 三郎:サブロウ 勝:マサル 稔:ミノル 弘:ヒロシ 秀夫:ヒデオ
            """),
        Parse("""
            誠:マコト 健一:ケンイチ 学:マナブ 剛:ツヨシ 哲也:テツヤ 秀樹:ヒデキ 健二:ケンジ 浩二:コウジ 正人:マサト 大輔:ダイスケ 拓也:タクヤ 直樹:ナオキ
            和也:カズヤ 達也:タツヤ 裕介:ユウスケ 亮:リョウ 健太:ケンタ 雄太:ユウタ 信也:シンヤ 俊介:シュンスケ 康介:コウスケ 智也:トモヤ 圭:ケイ 翔太:ショウタ 大樹:ダイキ
            """),
        Parse("""
            翔:ショウ 蓮:レン 悠真:ユウマ 湊:ミナト 陽翔:ハルト 大翔:ヒロト 悠斗:ユウト 颯太:ソウタ 樹:イツキ 陸:リク 海斗:カイト 蒼:アオイ 律:リツ
            朝陽:アサヒ 結翔:ユイト 大和:ヤマト 陽太:ヨウタ 奏太:ソウタ 駿:シュン 優斗:ユウト 拓海:タクミ 翼:ツバサ 涼:リョウ 悠人:ハルト 碧:アオイ
            """),
    ];

    /// <summary>Female given names: [0] born before 1965, [1] 1965–1994, [2] 1995 and later.</summary>
    public static readonly NameWithReading[][] Female =
    [
        Parse("""
            幸子:サチコ 節子:セツコ 和子:カズコ 洋子:ヨウコ 恵子:ケイコ 京子:キョウコ 久美子:クミコ 美智子:ミチコ 弘子:ヒロコ 順子:ジュンコ 悦子:エツコ 文子:フミコ 清子:キヨコ
            照子:テルコ 千代子:チヨコ 信子:ノブコ 敏子:トシコ 和江:カズエ 良子:ヨシコ 明美:アケミ 由美子:ユミコ 典子:ノリコ 春子:ハルコ 静子:シズコ 光子:ミツコ
            """),
        Parse("""
            裕子:ユウコ 真由美:マユミ 智子:トモコ 直美:ナオミ 陽子:ヨウコ 恵:メグミ 愛:アイ 美穂:ミホ 香織:カオリ 麻衣:マイ 彩:アヤ 舞:マイ 沙織:サオリ
            綾:アヤ 美咲:ミサキ 瞳:ヒトミ 優子:ユウコ 理恵:リエ 由佳:ユカ 千尋:チヒロ 絵美:エミ 亜希子:アキコ 奈緒:ナオ 明日香:アスカ 友美:トモミ
            """),
        Parse("""
            陽菜:ヒナ 結衣:ユイ 葵:アオイ 凛:リン 芽依:メイ 紬:ツムギ 結菜:ユイナ 莉子:リコ 美桜:ミオ 花:ハナ 咲良:サクラ 陽葵:ヒマリ 澪:ミオ
            杏:アン 心春:コハル 結愛:ユア 彩花:アヤカ 七海:ナナミ 美月:ミヅキ 遥:ハルカ 琴音:コトネ 真央:マオ 楓:カエデ 菜々子:ナナコ 萌:モエ
            """),
    ];

    /// <summary>The era index of <see cref="Male"/> and <see cref="Female"/> for a year of birth.</summary>
    public static int EraOf(int yearOfBirth) => yearOfBirth < 1965 ? 0 : yearOfBirth < 1995 ? 1 : 2;
}
